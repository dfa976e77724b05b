/**
 * Login lockouts an administrator can see and lift (issue #12): a user name blocked by failed logins stays
 * blocked for `login.blockMinutes`; unlocking clears its counter at once. Shared by the CLI, the API and the
 * console. A name needs no user to be locked (guesses at names that do not exist are counted too), so unlocking
 * does not require one.
 */
import { DEFAULT_LOGIN_SETTINGS, type LoginSettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { MAX_USER_NAME_LENGTH, userNameKey } from '../model.js';
import { clearAttempts, lockedKeys } from '../store/login-attempts.js';
import { loadDirectorySettings } from '../store/settings.js';
import type { Store } from '../store/store.js';

export interface LoginLock {
  readonly userName: string;
  readonly locked: boolean;
  /** ISO time the block ends; absent while the name is refused only because attempts are in flight. */
  readonly lockedUntil?: string;
}

function nameKeyOf(userName: string): string {
  const name = userName.trim();
  if (name === '' || name.length > MAX_USER_NAME_LENGTH)
    throw new RosterError('INPUT_INVALID', `userName: 1 to ${MAX_USER_NAME_LENGTH} characters`, {
      details: [{ path: 'userName', message: `1 to ${MAX_USER_NAME_LENGTH} characters` }],
    });
  return `user:${userNameKey(name)}`;
}

async function loginSettings(store: Store): Promise<LoginSettings> {
  const settings = await loadDirectorySettings(store.db, store.secrets).catch(() => undefined);
  return settings?.login ?? DEFAULT_LOGIN_SETTINGS;
}

export async function loginLockOf(store: Store, userName: string, now = Date.now()): Promise<LoginLock> {
  const key = nameKeyOf(userName);
  const settings = await loginSettings(store);
  const limits = { blockAfter: settings.blockAfterFailures, windowMs: settings.windowMinutes * 60_000 };
  const lock = (await lockedKeys(store.db, now, limits, [key]))[0];
  if (!lock) return { userName: userName.trim(), locked: false };
  return { userName: userName.trim(), locked: true, ...(lock.blockedUntil > now ? { lockedUntil: new Date(lock.blockedUntil).toISOString() } : {}) };
}

/** Lifts the block of a user name (and forgets its failures). Returns whether there was anything to lift. */
export async function unlockUserName(store: Store, userName: string): Promise<{ userName: string; unlocked: boolean }> {
  const key = nameKeyOf(userName);
  const cleared = await clearAttempts(store.db, [key]);
  return { userName: userName.trim(), unlocked: cleared > 0 };
}
