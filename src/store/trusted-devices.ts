import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from './users.js';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Remembers a browser for a user; the token goes into its cookie, only its hash into the database. */
export async function createTrustedDevice(db: Executor, userId: number, lifetimeMs: number, now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.deleteFrom('trusted_devices').where('expires_at', '<', now).execute();
  await db
    .insertInto('trusted_devices')
    .values({ token_hash: hashToken(token), user_id: userId, created_at: now, expires_at: now + lifetimeMs })
    .execute();
  return token;
}

/**
 * The throttle key of a device token that belongs to the user now named `nameKey` and has not expired; undefined
 * for any other token (another user's, a forged one, an old one).
 */
export async function trustedDeviceKey(db: Executor, token: string, nameKey: string, now = Date.now()): Promise<string | undefined> {
  const hash = hashToken(token);
  const row = await db
    .selectFrom('trusted_devices')
    .innerJoin('users', 'users.id', 'trusted_devices.user_id')
    .select('trusted_devices.token_hash')
    .where('trusted_devices.token_hash', '=', hash)
    .where('users.user_name_key', '=', nameKey)
    .where('trusted_devices.expires_at', '>', now)
    .executeTakeFirst();
  return row ? `device:${hash.slice(0, 32)}` : undefined;
}
