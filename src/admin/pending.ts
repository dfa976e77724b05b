/** The administrator's answers to a pending deletion (options.deleteAfter): keep the user, or delete it now. */
import { RosterError } from '../errors.js';
import type { User } from '../model.js';
import { appendEvents } from '../store/events.js';
import { deleteSessionsOf } from '../store/sessions.js';
import type { Store } from '../store/store.js';
import { convertToManualUser, deleteUser, findUser, publicUser } from '../store/users.js';
import { changeEvents, deletedEvent } from './user-events.js';

async function pendingUser(store: Store, name: string): Promise<User> {
  const user = await findUser(store.db, name);
  if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
  if (!user.pendingDeletionSince) throw new RosterError('CONFLICT', `User '${user.userName}' is not pending deletion.`);
  return publicUser(user);
}

/** Keep: the user becomes a manual user, enabled again, which no sync changes or deletes. */
export async function keepPendingUser(store: Store, name: string, actor: string): Promise<User> {
  const user = await pendingUser(store, name);
  await store.db.transaction().execute(async (trx) => {
    await convertToManualUser(trx, user.userName);
    await appendEvents(trx, changeEvents(user, { source: 'manual', disabled: false }), actor);
  });
  return publicUser((await findUser(store.db, user.userName))!);
}

/** Delete now, without waiting for the grace period. */
export async function deletePendingUserNow(store: Store, name: string, actor: string): Promise<void> {
  const user = await pendingUser(store, name);
  const { id } = (await findUser(store.db, user.userName))!;
  await store.db.transaction().execute(async (trx) => {
    await deleteSessionsOf(trx, id);
    await deleteUser(trx, user.userName);
    await appendEvents(trx, [deletedEvent(user, `deleted by an administrator while pending deletion since ${user.pendingDeletionSince}`)], actor);
  });
}
