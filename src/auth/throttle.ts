/**
 * Login throttling per normalized user name and per source: after `delayAfterFailures` failures every attempt
 * waits (1 s, 2 s, 4 s ... up to 16 s); after `blockAfterFailures` attempts are refused for `blockMinutes`.
 * Counted in the database, so it holds across processes (each `roster login` is one) and server restarts.
 */
import type { LoginSettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { clearAttempts, readAttempts, recordFailure } from '../store/login-attempts.js';
import type { Executor } from '../store/users.js';

const MAX_DELAY_MS = 16_000;

export interface ThrottleDecision {
  /** How long to wait before checking the password. */
  delayMs: number;
  keys: ThrottleKeys;
  /** Whether any failure is on record: only then does a success need a write to clear it. */
  hasFailures: boolean;
}

export type ThrottleKeys = [string] | [string, string];

export function throttleKeys(nameKey: string, source: string | undefined): ThrottleKeys {
  return source ? [`user:${nameKey}`, `source:${source}`] : [`user:${nameKey}`];
}

export async function checkThrottle(db: Executor, keys: ThrottleKeys, settings: LoginSettings, now = Date.now()): Promise<ThrottleDecision> {
  const records = (await readAttempts(db, keys)).filter((record) => now - record.firstFailureAt <= settings.windowMinutes * 60_000 || record.blockedUntil > now);
  const blocked = records.find((record) => record.blockedUntil > now);
  if (blocked) {
    const minutes = Math.ceil((blocked.blockedUntil - now) / 60_000);
    throw new RosterError('AUTH_ACCOUNT_LOCKED', `Too many failed logins; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
  const failures = Math.max(0, ...records.map((record) => record.failures));
  const over = failures - settings.delayAfterFailures;
  return { delayMs: over >= 0 ? Math.min(MAX_DELAY_MS, 1000 * 2 ** over) : 0, keys, hasFailures: records.length > 0 };
}

export async function noteFailure(db: Executor, keys: string[], settings: LoginSettings, now = Date.now()): Promise<void> {
  for (const key of keys) await recordFailure(db, key, now, settings.windowMinutes * 60_000, settings.blockAfterFailures, settings.blockMinutes * 60_000);
}

/**
 * A success clears the user name's count, not the source's: otherwise an attacker could reset the count of
 * their address by logging in to an account of their own between guesses.
 */
export async function noteSuccess(db: Executor, decision: ThrottleDecision): Promise<void> {
  if (decision.hasFailures)
    await clearAttempts(
      db,
      decision.keys.filter((key) => key.startsWith('user:')),
    );
}
