/**
 * Commits a plan in one transaction: deletions, updates (renames in two steps, so swapped names never collide; the temporary key starts with a control character, which
 * no user name may contain),
 * creations in batches, then the groups as read and the run record. A process killed at any point leaves the
 * database as it was before the run, since nothing is committed until the end.
 */
import type { Transaction } from 'kysely';
import type { DirectorySnapshot } from '../snapshot.js';
import { userNameKey } from '../model.js';
import { insertMany } from '../store/bulk.js';
import { replaceGroups, updateGroups, type StoredGroup } from '../store/groups.js';
import { type RunChange } from '../store/runs.js';
import { deleteSessionsOfUsers } from '../store/sessions.js';
import type { Database } from '../store/schema.js';
import { refreshSearchText } from '../store/user-search.js';
import { ListJson, userRow, writeSyncDigests } from '../store/users.js';
import type { SyncPlan, UserChanges } from './plan.js';
import { trace } from '../trace.js';

const BATCH = 1000;

export interface ApplyHooks {
  /** Called after each batch of creations: progress, and the failpoint the crash test uses. */
  afterBatch?: (done: number, total: number) => void;
}

function changeColumns(changes: UserChanges) {
  return {
    ...(changes.userName ? { user_name: changes.userName.to, user_name_key: userNameKey(changes.userName.to) } : {}),
    ...(changes.fullName ? { full_name: changes.fullName.to } : {}),
    ...(changes.emailAddresses ? { email_addresses: JSON.stringify(changes.emailAddresses.to) } : {}),
    ...(changes.dn ? { dn: changes.dn.to } : {}),
    ...(changes.disabled ? { disabled: changes.disabled.to ? 1 : 0 } : {}),
    ...(changes.stableId ? { stable_id: changes.stableId.to } : {}),
  };
}

/** The position of the first 'created' change among the run's changes (runChanges' order): its events refer to them. */
export function firstCreatedChange(plan: SyncPlan): number {
  return plan.deleted.length + plan.scheduled.length + plan.updated.length;
}

/**
 * The per-user changes of the run record, produced as they are stored (100,000 of them on a first sync). A created
 * user's detail is also its `user.created` event's data (store/events.ts): fields added here appear in both.
 */
function* runChanges(plan: SyncPlan): Generator<RunChange> {
  for (const removal of plan.deleted) yield { userName: removal.userName, action: 'deleted', detail: { reason: removal.reason } };
  for (const pending of plan.scheduled) yield { userName: pending.userName, action: 'deletionScheduled', detail: { reason: pending.reason, deleteAt: pending.deleteAt } };
  for (const update of plan.updated) {
    yield { userName: update.changes.userName?.to ?? update.userName, action: update.restored ? 'restored' : 'updated', detail: update.changes };
  }
  for (const user of plan.created) yield { userName: user.userName, action: 'created', detail: { fullName: user.fullName, emailAddresses: user.emailAddresses, dn: user.dn } };
}

function* rowsOf<T, R>(items: T[], row: (item: T, position: number) => R): Generator<R> {
  for (let position = 0; position < items.length; position++) yield row(items[position]!, position);
}

/**
 * Users who left the scope under options.deleteAfter: disabled at once and marked. Their digest is cleared so every
 * run loads them, finds them back (restore) or sees the grace period pass (delete).
 */
async function markPending(trx: Transaction<Database>, plan: SyncPlan, now: string): Promise<void> {
  const keys = plan.scheduled.map((pending) => userNameKey(pending.userName));
  for (let start = 0; start < keys.length; start += BATCH) {
    await trx
      .updateTable('users')
      .set({ disabled: 1, pending_deletion_since: now, sync_digest: null, updated_at: now })
      .where('user_name_key', 'in', keys.slice(start, start + BATCH))
      .where('source', '=', 'directory')
      .execute();
  }
}

/** Users who can no longer log on after the run: their sessions end with it (in the same transaction). */
function usersLockedOut(plan: SyncPlan): string[] {
  const keys = [...plan.deleted, ...plan.scheduled].map((removal) => userNameKey(removal.userName));
  for (const update of plan.updated) if (update.changes.disabled?.to) keys.push(userNameKey(update.changes.userName?.to ?? update.userName));
  return keys;
}

/**
 * `groups`: the rows an incremental run that planned only the affected entries changed (sync/delta-groups.ts);
 * without it, the groups table is replaced from the snapshot.
 */
export async function applyPlan(
  trx: Transaction<Database>,
  plan: SyncPlan,
  snapshot: DirectorySnapshot,
  hooks: ApplyHooks = {},
  groups?: { readonly upserts: readonly StoredGroup[]; readonly deletes: readonly string[] },
): Promise<Iterable<RunChange>> {
  const now = new Date().toISOString();
  const deletedKeys = plan.deleted.map((removal) => userNameKey(removal.userName));
  // Their memberships go with the groups' replacement below: a deleted user was in scope when the stored groups were
  // read, so the groups fingerprint, which lists every user in scope, differs, and the groups are rewritten.
  for (let start = 0; start < deletedKeys.length; start += BATCH) {
    const batch = deletedKeys.slice(start, start + BATCH);
    await trx.deleteFrom('users').where('user_name_key', 'in', batch).where('source', '=', 'directory').execute();
  }

  await markPending(trx, plan, now);

  const renames = plan.updated.filter((update) => update.changes.userName);
  for (const update of renames) {
    await trx
      .updateTable('users')
      .set({ user_name_key: `\u0001renaming:${userNameKey(update.userName)}` })
      .where('user_name_key', '=', userNameKey(update.userName))
      .execute();
  }
  for (const update of plan.updated) {
    const currentKey = update.changes.userName ? `\u0001renaming:${userNameKey(update.userName)}` : userNameKey(update.userName);
    await trx
      .updateTable('users')
      .set({ ...changeColumns(update.changes), ...(update.restored ? { pending_deletion_since: null } : {}), sync_digest: update.syncDigest, updated_at: now })
      .where('user_name_key', '=', currentKey)
      .where('source', '=', 'directory')
      .execute();
  }
  const searchedFieldsChanged = plan.updated.filter(({ changes }) => changes.userName || changes.fullName || changes.emailAddresses);
  await refreshSearchText(
    trx,
    searchedFieldsChanged.map((update) => userNameKey(update.changes.userName?.to ?? update.userName)),
  );

  const lists = new ListJson();
  await insertMany(
    trx,
    'users',
    rowsOf(plan.created, (user, position) => userRow(user, now, null, plan.createdDigests[position] ?? null, lists)),
    { afterBatch: (done) => hooks.afterBatch?.(done, plan.created.length) },
  );
  await writeSyncDigests(
    trx,
    plan.digestRefreshes.map((refresh) => ({ key: userNameKey(refresh.userName), digest: refresh.syncDigest })),
    'user_name_key',
  );
  trace('users inserted');
  await deleteSessionsOfUsers(trx, usersLockedOut(plan));
  if (groups) await updateGroups(trx, groups);
  else await replaceGroups(trx, snapshot.groups, snapshot.users);
  trace('groups replaced');
  return { [Symbol.iterator]: () => runChanges(plan) };
}
