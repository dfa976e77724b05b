import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { compileMemberTemplate } from '../../src/directory/member-filter.js';
import { profileEntry } from '../../src/directory/member-index.js';
import { ReferenceCollector } from '../../src/directory/references.js';
import { resolveMembership, type RawGroup, type ReadUser } from '../../src/directory/resolve.js';
import { WarningCollector } from '../../src/directory/warnings.js';
import type { LdapSession } from '../../src/ldap/session.js';
import { ClassHierarchy } from '../../src/rfc/object-classes.js';

const settings = validateSettings({ preset: 'openldap', connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' }, groups: { groups: ['all'] } });
const classes = new ClassHierarchy(["( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY )", "( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top STRUCTURAL )"]);
const template = compileMemberTemplate('(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))', classes);
const entry = (attributes: Record<string, string[]>) => ({ values: (name: string) => attributes[name.toLowerCase()] ?? [] });

function user(name: string): ReadUser {
  const dn = `uid=${name},dc=x`;
  return {
    dn,
    dnKey: dn,
    stableId: `entryUUID:${name}`,
    userName: name,
    fullName: name,
    emailAddresses: [],
    disabled: false,
    groupKeys: [],
    memberProfile: profileEntry(template, entry({ objectclass: ['posixAccount'], uid: [name] })),
  };
}

function group(name: string, members: string[]): RawGroup {
  const dn = `cn=${name},dc=x`;
  return { dn, dnKey: dn, name, description: '', members, memberProfile: profileEntry(template, entry({ objectclass: ['posixGroup'], cn: [name] })) };
}

describe('resolving members', () => {
  it('gives each user the groups that list it, nested groups bring their users into scope, and lists of one group are shared', async () => {
    const users = ['a', 'b', 'c', 'd', 'lonely'].map(user);
    const groups = [group('g1', ['a', 'b', 'c', 'B']), group('g2', ['b', 'c']), group('g3', ['c', 'ghost']), group('all', ['g1', 'g2', 'g3', 'd'])];
    const warnings = new WarningCollector();
    const membership = await resolveMembership({
      users,
      groups,
      settings,
      template,
      session: undefined as unknown as LdapSession,
      baseDn: 'dc=x',
      warnings,
      references: new ReferenceCollector('dc=x'),
    });
    const byName = new Map(membership.users.map((entry) => [entry.userName, entry.groupKeys]));
    assert.deepEqual([...byName.keys()], ['a', 'b', 'c', 'd']);
    assert.deepEqual(byName.get('a'), ['cn=g1,dc=x']);
    assert.deepEqual(byName.get('b'), ['cn=g1,dc=x', 'cn=g2,dc=x']);
    assert.deepEqual(byName.get('c'), ['cn=g1,dc=x', 'cn=g2,dc=x', 'cn=g3,dc=x']);
    assert.deepEqual(byName.get('d'), ['cn=all,dc=x']);
    // Users in several groups own their lists (a shared list is replaced, never grown in place).
    assert.notEqual(byName.get('b'), byName.get('c'));
    assert.notEqual(byName.get('a'), byName.get('b'));
    assert.deepEqual(
      membership.outsideSelection.map((entry) => entry.userName),
      ['lonely'],
    );
    assert.deepEqual(
      membership.groups.map((entry) => [entry.name, entry.directUsers, entry.directGroups, entry.usersInScope]),
      [
        ['g1', 3, 0, undefined],
        ['g2', 2, 0, undefined],
        ['g3', 1, 0, undefined],
        ['all', 1, 3, 4],
      ],
    );
    assert.match(warnings.list().join('\n'), /member 'ghost' of group 'g3' matched no entry/);
  });
});
