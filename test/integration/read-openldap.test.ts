import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readDirectory } from '../../src/directory/read.js';
import type { DirectorySnapshot } from '../../src/snapshot.js';
import { isRosterError } from '../../src/errors.js';
import { BULK_USERS, OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapSettings } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
});
after(stopAllDirectories);

function names(snapshot: DirectorySnapshot): string[] {
  return snapshot.users.map((user) => user.userName).sort();
}

const DN_GROUPS = { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '' };

describe('reading an OpenLDAP directory', () => {
  it('pages past the service account size limit (500) and reads every user', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory));
    assert.equal(snapshot.statistics.userEntries, BULK_USERS + 7);
    assert.ok(snapshot.statistics.pages >= 2, `expected several pages, got ${snapshot.statistics.pages}`);
    assert.ok(names(snapshot).includes('user0600'));
    assert.ok(names(snapshot).includes('user0001'));
  });

  it('resolves memberUid through {member}, with nested groups by name and a cycle', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { groups: ['MailStore Users'] } }));
    assert.deepEqual(names(snapshot), ['alice', 'bob', 'carol']);
    const selected = snapshot.groups.find((group) => group.name === 'MailStore Users')!;
    assert.equal(selected.selected, true);
    assert.equal(selected.usersInScope, 3);
    assert.ok(snapshot.warnings.includes("member 'ghost' of group 'MailStore Users' matched no entry"));
  });

  it('matches the selected group names case-insensitively and warns about missing ones', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { groups: ['developers', 'No Such Group'] } }));
    assert.deepEqual(names(snapshot), ['alice', 'bob', 'carol']);
    assert.ok(snapshot.warnings.includes("selected group 'No Such Group' was not found by the group filter"));
  });

  it('resolves DN members, including a DN with an escaped comma, through nested groups', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { ...DN_GROUPS, groups: ['Staff DN'] } }));
    assert.deepEqual(names(snapshot), ['alice', 'carol', 'jsmith']);
    const smith = snapshot.users.find((user) => user.userName === 'jsmith')!;
    assert.equal(smith.fullName, 'John Smith');
    assert.ok(
      snapshot.warnings.some((warning) => warning.includes('cn=missing,ou=people')),
      snapshot.warnings.join('\n'),
    );
  });

  it('reads a big DN group completely', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { ...DN_GROUPS, groups: ['All Staff'] } }));
    assert.equal(snapshot.users.length, BULK_USERS);
  });

  it('keeps UTF-8 names and group names intact', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { groups: ['équipe'] } }));
    assert.deepEqual(
      snapshot.users.map((user) => user.fullName),
      ['Zoë Ångström'],
    );
    assert.ok(snapshot.groups.some((group) => group.name === 'Équipe'));
  });

  it('reads multi-valued and comma-separated addresses, without duplicates or invalid ones', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { groups: ['MailStore Users'] } }));
    const byName = new Map(snapshot.users.map((user) => [user.userName, user]));
    assert.deepEqual(byName.get('alice')!.emailAddresses, ['alice@example.com', 'Alice.Archer@example.com']);
    assert.deepEqual(byName.get('bob')!.emailAddresses, ['bob@example.com', 'b.builder@example.com']);
    assert.deepEqual(byName.get('carol')!.emailAddresses, []);
    assert.ok(snapshot.warnings.some((warning) => warning.includes('"not-an-address" is not a valid e-mail address')));
  });

  it('uses entryUUID as the stable id', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { groups: { groups: ['MailStore Users'] } }));
    for (const user of snapshot.users) assert.match(user.stableId, /^entryUUID:[0-9a-f-]{36}$/);
  });

  it('warns about entries without a user name and names used twice, and synchronizes neither', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { users: { filter: '(objectClass=inetOrgPerson)' } }));
    assert.ok(
      snapshot.warnings.some((warning) => warning.includes('cn=No Uid,ou=people,dc=example,dc=com has no uid value')),
      snapshot.warnings.join('\n'),
    );
    assert.ok(snapshot.warnings.some((warning) => warning.startsWith("user name 'dup' is used by 2 entries")));
    assert.deepEqual(snapshot.ambiguousUserNames, ['dup']);
    assert.ok(!names(snapshot).includes('dup'));
  });

  it('detects the base DN from the root DSE when it is empty', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { connection: { baseDn: '' }, groups: { groups: ['MailStore Users'] } }));
    assert.equal(snapshot.baseDn, OPENLDAP_BASE);
    assert.equal(snapshot.users.length, 3);
  });

  it('cuts user names to the local part when localPartOnly is set', async () => {
    const snapshot = await readDirectory(openLdapSettings(directory, { users: { userName: 'mail', localPartOnly: true }, groups: { ...DN_GROUPS, groups: ['Staff DN'] } }));
    assert.deepEqual(names(snapshot), ['alice', 'john.smith']);
  });

  it('fails with LDAP_SIZE_LIMIT, not a short list, when the server caps the paged total', async () => {
    const settings = openLdapSettings(directory, { connection: { administrativeDn: directory.limitedDn, password: directory.limitedPassword, pageSize: 50 } });
    await assert.rejects(readDirectory(settings), (error) => isRosterError(error, 'LDAP_SIZE_LIMIT'));
  });

  it('fails with LDAP_NO_SUCH_BASE when the base DN does not exist', async () => {
    const settings = openLdapSettings(directory, { connection: { baseDn: 'dc=nowhere,dc=com' } });
    await assert.rejects(readDirectory(settings), (error) => isRosterError(error, 'LDAP_NO_SUCH_BASE') && /connection\.baseDn/.test(error.message));
  });
});
