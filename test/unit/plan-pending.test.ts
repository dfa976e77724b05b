import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs } from '../../src/config/duration.js';
import { validateSettings } from '../../src/config/load.js';
import { isRosterError } from '../../src/errors.js';
import type { DirectorySnapshot, DirectoryUser } from '../../src/directory/snapshot.js';
import type { LocalUser } from '../../src/model.js';
import { checkPlan, countedDeletions } from '../../src/sync/guard.js';
import { planSync } from '../../src/sync/plan.js';
import type { RunModeDecision } from '../../src/sync/mode.js';
import { buildReport } from '../../src/sync/report.js';

const PREVIEW: RunModeDecision = { mode: 'full', reason: 'preview' };

function settingsWith(options: Record<string, unknown>) {
  return validateSettings({ preset: 'openldap', connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' }, options });
}

function entry(name: string, disabled = false): DirectoryUser {
  const dn = `uid=${name},dc=x`;
  return { dn, dnKey: dn, stableId: `entryUUID:${name}`, userName: name, fullName: name, emailAddresses: [], disabled, groupKeys: [] };
}

function local(name: string, extra: Partial<LocalUser> = {}): LocalUser {
  return { userName: name, source: 'directory', stableId: `entryUUID:${name}`, fullName: name, emailAddresses: [], dn: `uid=${name},dc=x`, disabled: false, ...extra };
}

function snapshot(users: DirectoryUser[]): DirectorySnapshot {
  return {
    server: 'x',
    baseDn: 'dc=x',
    users,
    groups: [],
    warnings: [],
    ambiguousUserNames: [],
    outsideSelection: [],
    unreadSubtrees: [],
    statistics: { userEntries: users.length, groupEntries: 0, pages: 1, durationMs: 0 },
  } as unknown as DirectorySnapshot;
}

const now = new Date('2026-01-10T12:00:00.000Z');
const grace = settingsWith({ deleteUsers: true, deleteAfter: '10s' });

describe('deletion with a grace period (options.deleteAfter)', () => {
  it('reads durations with one unit, and rejects others naming the field', () => {
    assert.deepEqual(['0', '10s', '90m', '12h', '30d'].map(durationMs), [0, 10_000, 5_400_000, 43_200_000, 2_592_000_000]);
    assert.equal(settingsWith({}).options.deleteAfter, '0');
    for (const bad of ['10', '1w', '-5s', '1.5h', '10 s', '']) {
      assert.throws(
        () => settingsWith({ deleteUsers: true, deleteAfter: bad }),
        (error) => isRosterError(error, 'CONFIG_INVALID') && JSON.stringify(error.details).includes('options.deleteAfter'),
        bad,
      );
    }
  });

  it('deletes at once with the default "0"', () => {
    const plan = planSync(snapshot([entry('a')]), [local('a'), local('gone')], settingsWith({ deleteUsers: true }), undefined, now);
    assert.deepEqual(
      plan.deleted.map((removal) => removal.userName),
      ['gone'],
    );
    assert.equal(plan.scheduled.length, 0);
  });

  it('schedules a user who left the scope, with the time the deletion is due', () => {
    const plan = planSync(snapshot([entry('a')]), [local('a'), local('gone')], grace, undefined, now);
    assert.equal(plan.deleted.length, 0);
    assert.deepEqual(
      plan.scheduled.map(({ userName, since, deleteAt, stableId }) => ({ userName, since, deleteAt, stableId })),
      [{ userName: 'gone', since: '2026-01-10T12:00:00.000Z', deleteAt: '2026-01-10T12:00:10.000Z', stableId: 'entryUUID:gone' }],
    );
    const report = buildReport(snapshot([entry('a')]), plan, false, PREVIEW);
    assert.deepEqual(
      report.users.pendingDeletion.map((user) => [user.userName, user.new]),
      [['gone', true]],
    );
  });

  it('keeps a pending user waiting until the grace period has passed, then deletes it', () => {
    const pending = local('gone', { disabled: true, pendingDeletionSince: '2026-01-10T11:59:55.000Z' });
    const waiting = planSync(snapshot([entry('a')]), [local('a'), pending], grace, undefined, now);
    assert.deepEqual([waiting.deleted.length, waiting.scheduled.length, waiting.pending.length], [0, 0, 1]);
    assert.equal(waiting.pending[0]!.deleteAt, '2026-01-10T12:00:05.000Z');
    const later = planSync(snapshot([entry('a')]), [local('a'), pending], grace, undefined, new Date('2026-01-10T12:00:05.000Z'));
    assert.deepEqual(
      later.deleted.map((removal) => [removal.userName, removal.wasPending]),
      [['gone', true]],
    );
    // Without a clock (a display-only plan) no grace period passes.
    assert.equal(planSync(snapshot([entry('a')]), [local('a'), pending], grace).deleted.length, 0);
  });

  it('restores a pending user back in scope: re-enabled unless the directory disables it', () => {
    const pending = local('back', { disabled: true, pendingDeletionSince: '2026-01-10T11:59:55.000Z' });
    const enabled = planSync(snapshot([entry('back')]), [pending], grace, undefined, now);
    assert.deepEqual(enabled.updated, [{ userName: 'back', stableId: 'entryUUID:back', changes: { disabled: { from: true, to: false } }, syncDigest: null, restored: true }]);
    const stillDisabled = planSync(snapshot([entry('back', true)]), [pending], grace, undefined, now);
    assert.deepEqual(stillDisabled.updated, [{ userName: 'back', stableId: 'entryUUID:back', changes: {}, syncDigest: null, restored: true }]);
    assert.deepEqual(buildReport(snapshot([entry('back', true)]), stillDisabled, false, PREVIEW).users.restored, ['back']);
    assert.equal(buildReport(snapshot([entry('back', true)]), stillDisabled, false, PREVIEW).users.updated.length, 0);
  });

  it('counts users who become pending as deletions in the guard, but not again when their grace period ends', () => {
    const users = [local('a'), ...Array.from({ length: 20 }, (_, i) => local(`u${i}`))];
    const guarded = settingsWith({ deleteUsers: true, deleteAfter: '10s', maxDeletions: 5 });
    const plan = planSync(snapshot([entry('a')]), users, guarded, undefined, now);
    assert.equal(countedDeletions(plan), 20);
    assert.throws(
      () => checkPlan(plan, 1, guarded),
      (error) => isRosterError(error, 'SYNC_DELETE_GUARD'),
    );
    const marked = users.map((user) => (user.userName === 'a' ? user : { ...user, disabled: true, pendingDeletionSince: '2026-01-01T00:00:00.000Z' }));
    const expiring = planSync(snapshot([entry('a')]), marked, guarded, undefined, now);
    assert.equal(expiring.deleted.length, 20);
    assert.equal(countedDeletions(expiring), 0);
    assert.doesNotThrow(() => checkPlan(expiring, 1, guarded));
  });

  it('leaves pending users alone when deleteUsers is turned off', () => {
    const pending = local('gone', { disabled: true, pendingDeletionSince: '2026-01-01T00:00:00.000Z' });
    const plan = planSync(snapshot([entry('a')]), [local('a'), pending], settingsWith({ deleteUsers: false, deleteAfter: '10s' }), undefined, now);
    assert.deepEqual([plan.deleted.length, plan.outOfScope.length], [0, 1]);
  });
});
