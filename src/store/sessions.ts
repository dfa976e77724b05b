import { createHash, randomBytes } from 'node:crypto';
import { userNameKey } from '../model.js';
import type { Executor } from './users.js';

/**
 * A session belongs to a user's row id, not to their name: a sync may rename users (and give a freed name to
 * someone else), and the id is the one thing a rename keeps and no other user ever gets (issue #12).
 */
export interface SessionRecord {
  userId: number;
  csrfToken: string;
  expiresAt: number;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createSession(
  db: Executor,
  user: { readonly id: number; readonly userName: string },
  lifetimeMs: number,
): Promise<{ token: string; csrfToken: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const now = Date.now();
  // Logins are what add sessions, so they also take the expired and orphaned ones away.
  await deleteExpiredSessions(db);
  await db
    .insertInto('sessions')
    .values({ token_hash: hashToken(token), user_id: user.id, user_name_key: userNameKey(user.userName), csrf_token: csrfToken, created_at: now, expires_at: now + lifetimeMs })
    .execute();
  return { token, csrfToken, expiresAt: now + lifetimeMs };
}

export async function findSession(db: Executor, token: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').select(['user_id', 'csrf_token', 'expires_at']).where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row || row.user_id === null || Number(row.expires_at) < Date.now()) return undefined;
  return { userId: Number(row.user_id), csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
}

export async function deleteSession(db: Executor, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export async function deleteSessionsOf(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Expired sessions, and those of users who no longer exist. */
export async function deleteExpiredSessions(db: Executor): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', Date.now()).execute();
  await db
    .deleteFrom('sessions')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('users').select('users.id').whereRef('users.id', '=', 'sessions.user_id'))))
    .execute();
}

/**
 * Ends the sessions of many users at once (a sync disabling or deleting them), in batches under SQLite's bound-value
 * limit: those of the users now holding these names (by id, whatever name their session began under), and those
 * begun under these names (a deleted user's row is gone; its sessions would no longer resolve anyway).
 */
export async function deleteSessionsOfUsers(db: Executor, userNameKeys: readonly string[]): Promise<void> {
  for (let start = 0; start < userNameKeys.length; start += 500) {
    const batch = userNameKeys.slice(start, start + 500);
    await db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('user_name_key', 'in', batch), eb('user_id', 'in', eb.selectFrom('users').select('users.id').where('users.user_name_key', 'in', batch))]))
      .execute();
  }
}
