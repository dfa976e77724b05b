import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { imageDelta, type DeltaInput, type ImageDelta } from '../../src/directory/image-delta.js';
import type { ReadContext } from '../../src/directory/read.js';
import { ReferenceCollector } from '../../src/directory/references.js';
import { WarningCollector } from '../../src/directory/warnings.js';
import { LdapEntry } from '../../src/ldap/entry.js';
import { completeGroups } from '../../src/sync/delta-groups.js';
import type { StoredGroup } from '../../src/store/groups.js';

const settings = validateSettings({
  preset: 'openldap',
  connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' },
  users: { userName: 'uid', fullName: 'displayName' },
  groups: { filter: '(objectClass=groupOfNames)', name: 'cn', members: 'member', memberSearchFilter: '', groups: ['all'] },
});
const worth = { stableId: ['entryUUID'], disabled: [] };

function context(overrides: Partial<ReadContext> = {}): ReadContext {
  return {
    settings,
    session: undefined as never,
    baseDn: 'dc=x',
    template: undefined,
    warnings: new WarningCollector(),
    references: new ReferenceCollector('dc=x'),
    statistics: { userEntries: 0, groupEntries: 0, pages: 0, references: 0, durationMs: 0 },
    onProgress: () => {},
    ...overrides,
  };
}

const person = (uid: string, extra: Record<string, string> = {}) => new LdapEntry(`uid=${uid},dc=x`, { uid, displayName: uid.toUpperCase(), entryUUID: `id-${uid}`, ...extra });
const group = (cn: string, members: string[]) => new LdapEntry(`cn=${cn},dc=x`, { cn, member: members.map((member) => (member.includes('=') ? member : `uid=${member},dc=x`)) });

/** Four users a to d; team1 lists a and b, team2 c, "all" (selected) nests both teams; d is in no group. */
function image() {
  const users = new Map(['a', 'b', 'c', 'd'].map((uid) => [`u-${uid}`, person(uid)]));
  const groups = new Map([
    ['g-team1', group('team1', ['a', 'b'])],
    ['g-team2', group('team2', ['c'])],
    ['g-all', group('all', ['cn=team1,dc=x', 'cn=team2,dc=x'])],
  ]);
  return { users, groups };
}

function input(changes: Partial<DeltaInput> & { users?: Map<string, LdapEntry> }): DeltaInput {
  const { users, groups } = image();
  const stored = changes.users ?? users;
  return {
    groupsBefore: groups,
    groupsAfter: groups,
    usersChanged: new Map(),
    usersDeleted: new Set(),
    hasReferences: false,
    unresolvedBefore: new Set(),
    // The store's lookup by syncUUID or normalized DN (the test's DNs are normalized already).
    loadUsers: async ({ uuids, dnKeys }) => new Map([...stored].filter(([uuid, entry]) => uuids.includes(uuid) || dnKeys.includes(entry.dn))),
    ...changes,
  };
}

async function delta(changes: Partial<DeltaInput>, readContext = context()): Promise<ImageDelta> {
  const outcome = await imageDelta(readContext, worth, input(changes));
  assert.ok('delta' in outcome, `fell back: ${'fallBack' in outcome ? outcome.fallBack : ''}`);
  return outcome.delta;
}

const summary = (result: ImageDelta) =>
  result.affected.map(({ before, after }) => ({ before: before && [before.user.userName, before.inScope], after: after && [after.user.userName, after.inScope] }));

describe('the entries an incremental change reaches (image-delta.ts)', () => {
  it('a member removed from a nested group is the one affected entry, leaving the scope; its group loses one user', async () => {
    const { groups } = image();
    const after = new Map(groups);
    after.set('g-team1', group('team1', ['a']));
    const result = await delta({ groupsAfter: after });
    assert.deepEqual(summary(result), [{ before: ['b', true], after: ['b', false] }]);
    const stored = new Map<string, StoredGroup>([
      ['cn=team1,dc=x', { dnKey: 'cn=team1,dc=x', dn: 'cn=team1,dc=x', name: 'team1', description: '', selected: false, directUsers: 2, directGroups: 0, members: '["a","b"]' }],
      ['cn=team2,dc=x', { dnKey: 'cn=team2,dc=x', dn: 'cn=team2,dc=x', name: 'team2', description: '', selected: false, directUsers: 1, directGroups: 0, members: '["c"]' }],
      ['cn=all,dc=x', { dnKey: 'cn=all,dc=x', dn: 'cn=all,dc=x', name: 'all', description: '', selected: true, directUsers: 0, directGroups: 2, members: '[]' }],
    ]);
    const completed = completeGroups(result.groups, result.affected, stored, new Map([['cn=all,dc=x', 3]]));
    const byName = new Map(completed.groups.map((entry) => [entry.name, entry]));
    assert.equal(byName.get('team1')!.directUsers, 1);
    assert.equal(byName.get('all')!.usersInScope, 2);
    assert.deepEqual(byName.get('all')!.memberGroupKeys, ['cn=team1,dc=x', 'cn=team2,dc=x']);
    assert.deepEqual(
      completed.upserts.map((row) => [row.name, JSON.parse(row.members) as string[]]),
      [['team1', ['a']]],
    );
    assert.deepEqual(completed.deletes, []);
  });

  it('a changed user entry is affected alone, and a deleted one that a group still lists gives the full run its warning', async () => {
    const changed = await delta({ usersChanged: new Map([['u-c', person('c', { displayName: 'New' })]]) });
    assert.deepEqual(summary(changed), [{ before: ['c', true], after: ['c', true] }]);
    assert.equal(changed.affected[0]!.after!.user.fullName, 'New');
    const deleted = await delta({ usersDeleted: new Set(['u-a']) });
    assert.deepEqual(summary(deleted), [{ before: ['a', true], after: undefined }]);
    assert.deepEqual(deleted.warnings, ["member 'uid=a,dc=x' of group 'team1' matched no entry"]);
    assert.deepEqual(deleted.unresolvedMemberKeys, ['uid=a,dc=x']);
    assert.equal(deleted.userEntriesAdded, -1);
  });

  it('a value that designated no entry before still does, without any entry being loaded for it', async () => {
    const { groups } = image();
    const dangling = new Map(groups);
    dangling.set('g-team2', group('team2', ['c', 'ghost']));
    const result = await delta({ groupsBefore: dangling, groupsAfter: dangling, unresolvedBefore: new Set(['uid=ghost,dc=x']), usersChanged: new Map([['u-d', person('d')]]) });
    assert.deepEqual(result.warnings, ["member 'uid=ghost,dc=x' of group 'team2' matched no entry"]);
    assert.deepEqual(summary(result), [{ before: ['d', false], after: ['d', false] }]);
  });

  it('falls back whenever it cannot be sure', async () => {
    const { groups } = image();
    const cases: Array<[string, Partial<DeltaInput>, ReadContext?]> = [
      ['a member search filter', {}, context({ template: {} as never })],
      ['search continuation references', { hasReferences: true }],
      ['a selected group was not found', { groupsAfter: new Map([...groups].filter(([uuid]) => uuid !== 'g-all')) }],
      ['an entry without a user name', { usersChanged: new Map([['u-a', new LdapEntry('uid=a,dc=x', { displayName: 'A' })]]) }],
      [
        'two affected entries with one user name',
        {
          usersChanged: new Map([
            ['u-a', person('a')],
            ['u-c', new LdapEntry('uid=c,dc=x', { uid: 'a', entryUUID: 'id-c' })],
          ]),
        },
      ],
      ['ranged or tagged member values', { groupsAfter: new Map([...groups, ['g-big', new LdapEntry('cn=big,dc=x', { cn: 'big', 'member;range=0-1499': ['uid=a,dc=x'] })]]) }],
    ];
    for (const [reason, changes, readContext] of cases) {
      const outcome = await imageDelta(readContext ?? context(), worth, input(changes));
      assert.deepEqual(outcome, { fallBack: reason });
    }
  });
});
