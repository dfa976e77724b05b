import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import type { DirectorySnapshot, DirectoryUser } from '../../src/snapshot.js';
import type { LocalUser, User } from '../../src/model.js';
import { checkPlan, deletionLimit } from '../../src/sync/guard.js';
import { parseDigestSeed, syncDigest } from '../../src/digest.js';
import { digestsOf, matchDigests } from '../../src/sync/digest-match.js';
import { planSync } from '../../src/sync/plan.js';
import { isRosterError } from '../../src/errors.js';

const settings = validateSettings({ preset: 'openldap', connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' }, groups: { groups: ['Staff'] } });
const deleting = { ...settings, options: { ...settings.options, deleteUsers: true } };

function entry(name: string, id = name, dn = `uid=${name},dc=x`): DirectoryUser {
  return {
    dn,
    dnKey: dn.toLowerCase(),
    stableId: `entryUUID:${id}`,
    userName: name,
    fullName: name.toUpperCase(),
    emailAddresses: [`${name}@x.com`],
    disabled: false,
    groupKeys: [],
  };
}

function local(name: string, id = name, dn = `uid=${name},dc=x`, overrides: Partial<User> = {}): User {
  return {
    userName: name,
    fullName: name.toUpperCase(),
    emailAddresses: [`${name}@x.com`],
    source: 'directory',
    authentication: 'directory',
    disabled: false,
    privileges: ['login'],
    archiveAccess: ['read'],
    dn,
    stableId: `entryUUID:${id}`,
    ...overrides,
  };
}

function snapshot(users: DirectoryUser[], extra: Partial<DirectorySnapshot> = {}): DirectorySnapshot {
  return {
    baseDn: 'dc=x',
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

describe('planning a synchronization', () => {
  it('matches by stable id first: a renamed and moved entry updates its user', () => {
    const moved = { ...entry('bobby', 'bob', 'uid=bobby,ou=new,dc=x'), fullName: 'BOB', emailAddresses: ['bob@x.com'] };
    const plan = planSync(snapshot([moved]), [local('bob')], settings);
    assert.equal(plan.created.length, 0);
    assert.deepEqual(plan.updated, [
      {
        userName: 'bob',
        stableId: 'entryUUID:bob',
        changes: { userName: { from: 'bob', to: 'bobby' }, dn: { from: 'uid=bob,dc=x', to: 'uid=bobby,ou=new,dc=x' } },
        syncDigest: null,
      },
    ]);
  });

  it('compares the synced fields of a matched user', () => {
    const alice = entry('alice');
    assert.equal(planSync(snapshot([alice]), [local('alice')], settings).unchanged, 1);
    const changed = planSync(snapshot([{ ...alice, emailAddresses: ['a@x.com'], disabled: true }]), [local('alice')], settings);
    assert.deepEqual(changed.updated[0]?.changes, { emailAddresses: { from: ['alice@x.com'], to: ['a@x.com'] }, disabled: { from: false, to: true } });
  });

  it('matches every user whatever order the directory answers in, around a new entry, a move and a deletion', () => {
    const names = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const stored = names.map((name) => local(name));
    const orders = [names, [...names].reverse(), [...names.slice(20), ...names.slice(0, 20)]];
    for (const order of orders) {
      const plan = planSync(snapshot(order.map((name) => entry(name))), stored, deleting);
      assert.deepEqual([plan.unchanged, plan.created.length, plan.updated.length, plan.deleted.length], [40, 0, 0, 0]);
    }
    // u5 deleted, u10 moved to a new DN, a new user between u20 and u21; the rest in stored order.
    const changed = names
      .filter((name) => name !== 'u5')
      .flatMap((name) => (name === 'u20' ? [entry(name), entry('fresh')] : name === 'u10' ? [entry(name, name, 'uid=u10,ou=moved,dc=x')] : [entry(name)]));
    const plan = planSync(snapshot(changed), stored, deleting);
    assert.deepEqual(
      plan.deleted.map((removal) => removal.userName),
      ['u5'],
    );
    assert.deepEqual(
      plan.created.map((user) => user.userName),
      ['fresh'],
    );
    assert.deepEqual(
      plan.updated.map((update) => [update.userName, Object.keys(update.changes)]),
      [['u10', ['dn']]],
    );
    assert.equal(plan.unchanged, 38);
  });

  it('falls back to the DN, then to the name (case-insensitive), recording the new stable id', () => {
    const byDn = planSync(snapshot([entry('bob', 'new-id')]), [local('bob', 'old-id')], settings);
    assert.deepEqual(byDn.updated[0]!.changes, { stableId: { from: 'entryUUID:old-id', to: 'entryUUID:new-id' } });
    const byName = planSync(snapshot([entry('Bob', 'new-id', 'uid=Bob,ou=elsewhere,dc=x')]), [local('bob', 'old-id')], settings);
    assert.equal(byName.created.length, 0);
    assert.equal(byName.updated[0]!.changes.userName!.to, 'Bob');
  });

  it('counts unchanged users and creates new ones with the default privileges', () => {
    const plan = planSync(snapshot([entry('a'), entry('b')]), [local('a')], settings);
    assert.equal(plan.unchanged, 1);
    assert.deepEqual(
      plan.created.map((user) => [user.userName, user.source, user.authentication, user.privileges, user.archiveAccess]),
      [['b', 'directory', 'directory', ['login'], ['read']]],
    );
  });

  it('never plans changes to manual users and warns on a name collision', () => {
    const manual = local('carol', 'x', 'uid=carol,dc=x', { source: 'manual', authentication: 'local', dn: null, stableId: null });
    const plan = planSync(snapshot([entry('Carol')]), [manual], deleting);
    assert.deepEqual([plan.created.length, plan.updated.length, plan.deleted.length], [0, 0, 0]);
    assert.match(plan.warnings[0]!, /manually created user/);
  });

  it('deletes or keeps users out of scope, with the reason', () => {
    const outside = { outsideSelection: [{ dnKey: 'uid=gone,dc=x', stableId: 'entryUUID:gone', userName: 'gone' }] };
    const kept = planSync(snapshot([entry('a')], outside), [local('a'), local('gone'), local('deleted')], settings);
    assert.deepEqual(kept.outOfScope, [
      { userName: 'gone', reason: 'no longer in group Staff', stableId: 'entryUUID:gone' },
      { userName: 'deleted', reason: 'no longer in the directory under dc=x matching (objectClass=posixAccount)', stableId: 'entryUUID:deleted' },
    ]);
    assert.equal(kept.deleted.length, 0);
    assert.equal(planSync(snapshot([entry('a')], outside), [local('a'), local('gone')], deleting).deleted.length, 1);
  });

  it('plans the same with users found unchanged by digest left unloaded as with every user loaded', () => {
    const seed = parseDigestSeed('00000000ffffffff');
    const names = Array.from({ length: 30 }, (_, i) => `u${i}`);
    // Stored as a sync leaves them: each directory user with its digest.
    const stored: LocalUser[] = [
      ...names.map((name) => ({ ...local(name), syncDigest: syncDigest(seed, local(name)) })),
      local('m', 'm', 'uid=m,dc=x', { source: 'manual', userName: 'manual1' }),
    ];
    const entries = names
      .filter((name) => name !== 'u3')
      .map((name) => {
        if (name === 'u4') return entry('u4', 'u4', 'uid=u4,ou=moved,dc=x');
        if (name === 'u5') return entry('u6', 'u5'); // renamed onto u6, which stays: skipped
        if (name === 'u7') return entry('u8', 'u7'); // swaps names with u8
        if (name === 'u8') return entry('u7', 'u8');
        return entry(name);
      });
    entries.push(entry('U9', 'new-9'), entry('manual1', 'new-m'), entry('fresh'));
    const snap = snapshot(entries);
    const of = digestsOf(entries, seed);
    const directoryUsers = stored.filter((user) => user.source === 'directory');
    const match = matchDigests(of, { ids: Float64Array.from(directoryUsers, (_, i) => i), digests: digestsOf(directoryUsers, seed) });
    assert.equal(match.unchangedCount, 25);
    const unloaded = new Set(directoryUsers.filter((_, i) => !match.unmatchedIds.includes(i)));
    const partial = planSync(
      snap,
      stored.filter((user) => !unloaded.has(user)),
      deleting,
      { of, unchanged: match.unchanged, unchangedCount: match.unchangedCount },
    );
    const full = planSync(snap, stored, deleting, { of });
    assert.deepEqual(partial, full);
    assert.deepEqual(
      [full.unchanged, full.created.map((user) => user.userName), full.deleted.map((removal) => removal.userName), full.directoryUsersBefore],
      [25, ['fresh'], ['u3'], 30],
    );
    assert.deepEqual(
      full.updated.map((update) => [update.userName, Object.keys(update.changes)]),
      [
        ['u4', ['dn']],
        ['u5', ['fullName', 'emailAddresses', 'dn']],
        ['u7', ['userName', 'fullName', 'emailAddresses', 'dn']],
        ['u8', ['userName', 'fullName', 'emailAddresses', 'dn']],
      ],
    );
    assert.ok(full.warnings.some((warning) => warning.includes("'u5' was renamed to 'u6'")));
    assert.ok(full.warnings.some((warning) => warning.includes("directory user 'U9'") && warning.includes('another directory user')));
    assert.ok(full.warnings.some((warning) => warning.includes("directory user 'manual1'")));
    // Every user written gets the digest of its entry.
    assert.deepEqual(full.createdDigests, [of[entries.length - 1]]);
    assert.equal(full.updated[0]!.syncDigest, of[entries.findIndex((user) => user.userName === 'u4')]);
  });

  it('writes the digest again for an unchanged user whose digest is missing or stale, never for a skipped rename', () => {
    const seed = parseDigestSeed('00000000ffffffff');
    const alice = entry('alice');
    const edited = { ...local('alice'), syncDigest: null };
    const plan = planSync(snapshot([alice]), [edited], settings, { of: digestsOf([alice], seed) });
    assert.equal(plan.unchanged, 1);
    assert.deepEqual(plan.digestRefreshes, [{ userName: 'alice', syncDigest: syncDigest(seed, alice) }]);
    const current = { ...local('alice'), syncDigest: syncDigest(seed, alice) };
    assert.deepEqual(planSync(snapshot([alice]), [current], settings, { of: digestsOf([alice], seed) }).digestRefreshes, []);
    // Renamed onto a taken name, with other changes: those are made, the name is not, so no digest is stored.
    const renamed = { ...entry('b', 'a-id'), emailAddresses: ['new@x.com'] };
    const skipped = planSync(snapshot([renamed, entry('b', 'b-id', 'uid=b2,dc=x')]), [local('a', 'a-id'), local('b', 'b-id', 'uid=b2,dc=x')], settings, {
      of: digestsOf([renamed, entry('b', 'b-id', 'uid=b2,dc=x')], seed),
    });
    const update = skipped.updated.find((candidate) => candidate.userName === 'a');
    assert.deepEqual(Object.keys(update?.changes ?? {}), ['fullName', 'emailAddresses', 'dn']);
    assert.equal(update?.syncDigest, null);
  });

  it('keeps a user whose name several entries now share', () => {
    const plan = planSync(snapshot([], { ambiguousUserNames: ['dup'] }), [local('dup')], deleting);
    assert.equal(plan.deleted.length, 0);
    assert.match(plan.warnings[0]!, /several directory entries/);
  });

  it('allows two users to swap names, and skips a rename onto a name that stays taken', () => {
    const swap = planSync(snapshot([entry('b', 'a-id'), entry('a', 'b-id')]), [local('a', 'a-id'), local('b', 'b-id')], settings);
    assert.equal(swap.updated.length, 2);
    const taken = planSync(
      snapshot([entry('b', 'a-id'), entry('c', 'b-id', 'uid=b,dc=x')]),
      [local('a', 'a-id'), local('b', 'b-id'), local('z', 'z', 'uid=z,dc=x', { source: 'manual', userName: 'c' })],
      settings,
    );
    assert.ok(
      taken.warnings.some((warning) => warning.includes("renamed to 'c'")),
      taken.warnings.join('\n'),
    );
  });
});

describe('guards', () => {
  it('refuses an empty read while directory users exist', () => {
    const plan = planSync(snapshot([]), [local('a')], settings);
    assert.throws(
      () => checkPlan(plan, 0, settings),
      (error) => isRosterError(error, 'SYNC_EMPTY_READ'),
    );
    assert.doesNotThrow(() => checkPlan(planSync(snapshot([]), [], settings), 0, settings));
  });

  it('computes the deletion threshold from the settings', () => {
    assert.equal(deletionLimit(settings, 50).limit, 10);
    assert.equal(deletionLimit(settings, 1000).limit, 100);
    assert.equal(deletionLimit({ ...settings, options: { deleteUsers: true, deleteAfter: '0', maxDeletions: 3 } }, 1000).limit, 3);
    assert.equal(deletionLimit({ ...settings, options: { deleteUsers: true, deleteAfter: '0', maxDeletions: '25%' } }, 1000).limit, 250);
  });

  it('refuses more deletions than allowed unless allowed once', () => {
    const users = Array.from({ length: 20 }, (_, i) => local(`u${i}`));
    const plan = planSync(snapshot([entry('u0')]), users, deleting);
    assert.equal(plan.deleted.length, 19);
    assert.throws(
      () => checkPlan(plan, 1, deleting),
      (error) => isRosterError(error, 'SYNC_DELETE_GUARD'),
    );
    assert.doesNotThrow(() => checkPlan(plan, 1, deleting, { allowMassDelete: true }));
  });
});
