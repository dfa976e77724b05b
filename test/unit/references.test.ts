import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { ReferenceCollector, isAdPartition, isWithin, referenceDn } from '../../src/directory/references.js';
import type { DirectorySnapshot, DirectoryUser, UnreadSubtree } from '../../src/snapshot.js';
import { planSync, type LocalUser } from '../../src/sync/plan.js';

describe('the subtree of a continuation reference (RFC 4516)', () => {
  it('is the DN part of the LDAP URL, percent-decoded, without attributes, scope or filter', () => {
    assert.equal(referenceDn('ldap://remote.example.com:389/ou=remote,dc=example,dc=com??sub'), 'ou=remote,dc=example,dc=com');
    assert.equal(referenceDn('ldaps://[::1]:636/CN=John%20Smith,DC=x?cn?base?(objectClass=*)'), 'CN=John Smith,DC=x');
    assert.equal(referenceDn('LDAP://h/cn=Smith%5C2C%20J,dc=x'), 'cn=Smith\\2C J,dc=x');
    assert.equal(referenceDn('ldap://example.com/DC=DomainDnsZones,DC=example,DC=com'), 'DC=DomainDnsZones,DC=example,DC=com');
  });

  it('is unknown when the URL names no DN, a malformed one, or is not an LDAP URL', () => {
    for (const url of ['ldap://host', 'ldap://host/', 'ldap://host/??sub', 'ldap://host/%ZZ', 'ldap://host/not a dn', 'http://host/dc=x', ''])
      assert.equal(referenceDn(url), undefined, url);
  });

  it('stands for the whole base DN when unknown: Roster assumes the worst', () => {
    const collector = new ReferenceCollector('dc=example,dc=com');
    collector.add(['ldap://elsewhere/', 'ldap://elsewhere/', 'ldap://b/ou=b,dc=example,dc=com'], 'users');
    collector.add(['ldap://b/ou=b,dc=example,dc=com'], 'groups');
    assert.deepEqual(
      collector.list().map((subtree) => [subtree.subtree, subtree.subtreeKnown, subtree.search]),
      [
        ['dc=example,dc=com', false, 'users'],
        ['ou=b,dc=example,dc=com', true, 'users'],
        ['ou=b,dc=example,dc=com', true, 'groups'],
      ],
    );
  });

  it("recognizes AD's DNS and configuration partitions under the base DN or above it, and nothing else", () => {
    assert.ok(isAdPartition('dc=domaindnszones,dc=example,dc=com', 'dc=example,dc=com'));
    assert.ok(isAdPartition('dc=forestdnszones,dc=example,dc=com', 'dc=child,dc=example,dc=com'));
    assert.ok(isAdPartition('cn=configuration,dc=example,dc=com', 'dc=example,dc=com'));
    assert.ok(!isAdPartition('ou=remote,dc=example,dc=com', 'dc=example,dc=com'));
    assert.ok(!isAdPartition('cn=configuration,ou=x,dc=example,dc=com', 'dc=example,dc=com'));
    assert.ok(!isAdPartition('dc=domaindnszones,dc=other,dc=com', 'dc=example,dc=com'));
  });

  it('contains a DN when it is the subtree or lies below it, never a sibling whose name ends alike', () => {
    assert.ok(isWithin('uid=a,ou=remote,dc=x', 'ou=remote,dc=x'));
    assert.ok(isWithin('ou=remote,dc=x', 'ou=remote,dc=x'));
    assert.ok(!isWithin('uid=a,ou=notremote,dc=x', 'ou=remote,dc=x'));
    assert.ok(!isWithin('uid=a,ou=people,dc=x', 'ou=remote,dc=x'));
  });
});

const BASE = 'dc=x';

function entry(name: string, ou = 'people'): DirectoryUser {
  const dn = `uid=${name},ou=${ou},${BASE}`;
  return { dn, dnKey: dn, stableId: `entryUUID:${name}`, userName: name, fullName: name, emailAddresses: [], disabled: false, groupKeys: [] };
}

function stored(name: string, ou = 'people'): LocalUser {
  return { userName: name, stableId: `entryUUID:${name}`, source: 'directory', fullName: name, emailAddresses: [], dn: `uid=${name},ou=${ou},${BASE}`, disabled: false };
}

function subtree(dn: string, search: UnreadSubtree['search'] = 'users', adPartition = false): UnreadSubtree {
  return { url: `ldap://other/${dn}??sub`, subtree: dn, subtreeKey: dn.toLowerCase(), subtreeKnown: true, search, adPartition };
}

function snapshot(users: DirectoryUser[], extra: Partial<DirectorySnapshot>): DirectorySnapshot {
  return {
    baseDn: BASE,
    server: 's',
    users,
    groups: [],
    outsideSelection: [],
    ambiguousUserNames: [],
    unreadSubtrees: [],
    warnings: [],
    statistics: { userEntries: users.length, groupEntries: 0, pages: 1, references: 0, durationMs: 1 },
    ...extra,
  };
}

const deleting = validateSettings({ preset: 'openldap', connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' }, options: { deleteUsers: true } });
const selecting = validateSettings({
  preset: 'openldap',
  connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' },
  groups: { groups: ['Staff'] },
  options: { deleteUsers: true },
});

describe('planning with subtrees that were not read', () => {
  it('keeps the users who live in an unread subtree, deletes the others who are gone, and warns with the count', () => {
    const plan = planSync(snapshot([entry('anna')], { unreadSubtrees: [subtree('ou=remote,dc=x')] }), [stored('anna'), stored('rita', 'remote'), stored('gone')], deleting);
    assert.deepEqual(
      plan.deleted.map((removal) => removal.userName),
      ['gone'],
    );
    assert.deepEqual(
      plan.keptUnread.map((kept) => kept.userName),
      ['rita'],
    );
    assert.deepEqual(plan.outOfScope, []);
    assert.deepEqual(plan.references, [{ url: 'ldap://other/ou=remote,dc=x??sub', subtree: 'ou=remote,dc=x', quiet: false }]);
    assert.ok(plan.warnings.some((warning) => /ou=remote,dc=x.*1 stored user living there was kept/.test(warning)));
  });

  it('warns about a reference even when nobody lives there, unless it is an AD partition', () => {
    const plan = planSync(
      snapshot([entry('anna')], { unreadSubtrees: [subtree('ou=empty,dc=x'), subtree('dc=DomainDnsZones,dc=x', 'users', true), subtree('cn=Configuration,dc=x', 'groups', true)] }),
      [stored('anna')],
      deleting,
    );
    assert.deepEqual(
      plan.references.map((reference) => [reference.subtree, reference.quiet]),
      [
        ['ou=empty,dc=x', false],
        ['dc=DomainDnsZones,dc=x', true],
        ['cn=Configuration,dc=x', true],
      ],
    );
    assert.equal(plan.warnings.filter((warning) => /referred/.test(warning)).length, 1);
  });

  it('is not quiet about an AD partition where a stored user lives, and keeps that user', () => {
    const plan = planSync(
      snapshot([entry('anna')], { unreadSubtrees: [subtree('dc=DomainDnsZones,dc=x', 'users', true)] }),
      [stored('anna'), stored('odd', 'x,dc=DomainDnsZones')],
      deleting,
    );
    assert.deepEqual(
      plan.keptUnread.map((kept) => kept.userName),
      ['odd'],
    );
    assert.equal(plan.deleted.length, 0);
    assert.equal(plan.references[0]!.quiet, false);
  });

  it('with a group selection, keeps users who seem to have left it when the group search did not read a subtree', () => {
    const outsideSelection = [{ dnKey: `uid=bert,ou=people,${BASE}`, stableId: 'entryUUID:bert', userName: 'bert' }];
    const withGroupReference = planSync(
      snapshot([entry('anna')], { outsideSelection, unreadSubtrees: [subtree('ou=groups2,dc=x', 'groups')] }),
      [stored('anna'), stored('bert')],
      selecting,
    );
    assert.deepEqual(
      withGroupReference.keptUnread.map((kept) => kept.userName),
      ['bert'],
    );
    assert.match(withGroupReference.keptUnread[0]!.reason, /group search did not read ou=groups2,dc=x/);
    // AD's partitions hold no groups of the domain: they do not stop a removal.
    const withPartition = planSync(
      snapshot([entry('anna')], { outsideSelection, unreadSubtrees: [subtree('cn=Configuration,dc=x', 'groups', true)] }),
      [stored('anna'), stored('bert')],
      selecting,
    );
    assert.deepEqual(
      withPartition.deleted.map((removal) => removal.userName),
      ['bert'],
    );
  });
});
