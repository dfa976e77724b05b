import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { RosterError } from '../../src/errors.js';

const connection = { server: 'ldap.example.com', administrativeDn: 'cn=admin,dc=example,dc=com', password: 'pw' };

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    validateSettings(input);
  } catch (error) {
    assert.ok(error instanceof RosterError);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.details as Array<{ path: string; message: string }>;
  }
  assert.fail('settings were accepted');
}

describe('directory settings', () => {
  it('fills the OpenLDAP preset from the manual and lets explicit keys win', () => {
    const settings = validateSettings({ preset: 'openldap', connection, users: { userName: 'cn' } });
    assert.equal(settings.users.filter, '(objectClass=posixAccount)');
    assert.equal(settings.users.userName, 'cn');
    assert.equal(settings.groups.members, 'memberUid');
    assert.match(settings.groups.memberSearchFilter!, /\{member\}/);
    assert.equal(settings.connection.protocol, 'ldap');
    assert.equal(settings.connection.ignoreSslWarnings, false);
    assert.deepEqual(settings.defaultPrivileges, { privileges: ['login'], archiveAccess: ['read'] });
    assert.equal(settings.options.deleteUsers, false);
  });

  it('fills the Active Directory preset', () => {
    const settings = validateSettings({ preset: 'active-directory', connection });
    assert.equal(settings.users.userName, 'userPrincipalName');
    assert.equal(settings.users.emailAddresses, 'proxyAddresses');
    assert.equal(settings.groups.members, 'member');
    assert.equal(settings.groups.memberSearchFilter, undefined);
    assert.equal(settings.connection.baseDn, '');
  });

  it('reports every invalid field with its path, before any connection', () => {
    const issues = issuesOf({
      connection: { server: 'bad host!', protocol: 'ldaps', password: '' },
      users: { filter: '(objectClass=user', userName: 'u id' },
      groups: { memberSearchFilter: '(uid=x)', groups: ['Staff'] },
      options: { maxDeletions: 'ten' },
    });
    const paths = issues.map((issue) => issue.path);
    for (const path of [
      'connection.server',
      'connection.protocol',
      'connection.password',
      'connection.administrativeDn',
      'users.filter',
      'users.userName',
      'groups.memberSearchFilter',
      'groups.filter',
      'options.maxDeletions',
    ]) {
      assert.ok(paths.includes(path), `expected an issue at ${path}, got ${paths.join(', ')}`);
    }
    assert.match(issues.find((issue) => issue.path === 'users.filter')!.message, /unbalanced parentheses/);
    assert.match(issues.find((issue) => issue.path === 'groups.memberSearchFilter')!.message, /\{member\}/);
    assert.match(issues.find((issue) => issue.path === 'connection.password')!.message, /empty password/);
  });

  it('rejects unknown keys, unknown presets and non-objects', () => {
    assert.equal(issuesOf({ connection, users: { userName: 'uid' }, colour: 'blue' })[0]!.path, '(root)');
    assert.equal(issuesOf({ preset: 'novell', connection })[0]!.path, 'preset');
    assert.equal(issuesOf('text')[0]!.path, '(root)');
  });

  it('accepts several servers, ports and IPv6 addresses', () => {
    const settings = validateSettings({ preset: 'openldap', connection: { ...connection, server: 'dc1.example.com:3268 [::1]:636 10.0.0.1' } });
    assert.equal(settings.connection.server, 'dc1.example.com:3268 [::1]:636 10.0.0.1');
    assert.equal(issuesOf({ preset: 'openldap', connection: { ...connection, server: 'host:99999' } })[0]!.path, 'connection.server');
  });

  it('validates the base DN and privileges', () => {
    const paths = issuesOf({ preset: 'openldap', connection: { ...connection, baseDn: 'example.com' }, defaultPrivileges: { privileges: ['root'] } }).map((issue) => issue.path);
    assert.deepEqual(paths.sort(), ['connection.baseDn', 'defaultPrivileges.privileges.0']);
  });
});
