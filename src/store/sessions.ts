import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from './users.js';

export interface SessionRecord {
  userNameKey: string;
  csrfToken: string;
  expiresAt: number;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createSession(db: Executor, userNameKey: string, lifetimeMs: number): Promise<{ token: string; csrfToken: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const now = Date.now();
  await db
    .insertInto('sessions')
    .values({ token_hash: hashToken(token), user_name_key: userNameKey, csrf_token: csrfToken, created_at: now, expires_at: now + lifetimeMs })
    .execute();
  return { token, csrfToken, expiresAt: now + lifetimeMs };
}

export async function findSession(db: Executor, token: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').select(['user_name_key', 'csrf_token', 'expires_at']).where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row || Number(row.expires_at) < Date.now()) return undefined;
  return { userNameKey: row.user_name_key, csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
}

export async function deleteSession(db: Executor, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export async function deleteSessionsOf(db: Executor, userNameKey: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_name_key', '=', userNameKey).execute();
}

export async function deleteExpiredSessions(db: Executor): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', Date.now()).execute();
}

/** Ends the sessions of many users at once (a sync disabling or deleting them), in batches under SQLite's bound-value limit. */
export async function deleteSessionsOfUsers(db: Executor, userNameKeys: readonly string[]): Promise<void> {
  for (let start = 0; start < userNameKeys.length; start += 500) {
    await db
      .deleteFrom('sessions')
      .where('user_name_key', 'in', userNameKeys.slice(start, start + 500))
      .execute();
  }
}
