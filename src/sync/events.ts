/**
 * The change events of a committed run (DESIGN §5), produced from the plan as they are stored: a first sync writes
 * 100,000 `user.created` events, generated batch by batch like the users themselves.
 */
import type { EventToAppend, NewEvent } from '../store/events.js';
import type { RunCounts } from '../store/runs.js';
import type { PlannedUpdate, SyncPlan, UserChanges } from './plan.js';

const DIRECTORY = 'directory';

/** An update's events: `user.restored`, or `user.updated` for the fields and `user.disabled`/`user.enabled` for the flag. */
function* updateEvents(update: PlannedUpdate, runId: number): Generator<NewEvent> {
  const userName = update.changes.userName?.to ?? update.userName;
  const base = { stableId: update.stableId, userName, source: DIRECTORY, runId };
  if (update.restored) {
    yield { ...base, type: 'user.restored', data: { changes: update.changes } };
    return;
  }
  const { disabled, ...fields } = update.changes;
  if (Object.keys(fields).length > 0) yield { ...base, type: 'user.updated', data: { changes: fields satisfies UserChanges } };
  if (disabled) yield { ...base, type: disabled.to ? 'user.disabled' : 'user.enabled', data: {} };
}

/**
 * The run's events in order. With `createdFrom` (the position of the first 'created' change in the run's recorded
 * changes, apply.ts), the created users' events refer to those changes instead of repeating them (store/events.ts);
 * their data then comes from the change detail, which must hold fullName, emailAddresses and dn in that order.
 */
export function* syncEvents(plan: SyncPlan, runId: number, counts: RunCounts, createdFrom?: number): Generator<EventToAppend> {
  for (const removal of plan.deleted) {
    yield { type: 'user.deleted', stableId: removal.stableId ?? null, userName: removal.userName, source: DIRECTORY, runId, data: { reason: removal.reason } };
  }
  for (const pending of plan.scheduled) {
    yield {
      type: 'user.deletionScheduled',
      stableId: pending.stableId ?? null,
      userName: pending.userName,
      source: DIRECTORY,
      runId,
      data: { reason: pending.reason, deleteAt: pending.deleteAt, disabled: true },
    };
  }
  for (const update of plan.updated) yield* updateEvents(update, runId);
  if (createdFrom !== undefined) {
    if (plan.created.length > 0) yield { type: 'user.created', runId, firstChange: createdFrom, users: plan.created };
  } else {
    for (const user of plan.created) {
      yield {
        type: 'user.created',
        stableId: user.stableId,
        userName: user.userName,
        source: DIRECTORY,
        runId,
        data: { fullName: user.fullName, emailAddresses: user.emailAddresses, dn: user.dn, disabled: user.disabled },
      };
    }
  }
  yield { type: 'sync.committed', runId, data: { counts } };
}
