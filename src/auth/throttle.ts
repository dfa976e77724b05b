/**
 * Login throttling per normalized user name and per source: after `delayAfterFailures` failures every attempt
 * waits (1 s, 2 s, 4 s ... up to 16 s); after `blockAfterFailures` attempts are refused for `blockMinutes`.
 * Counted in the database, so it holds across processes (each `roster login` is one), server restarts and
 * several servers on one PostgreSQL.
 *
 * Each attempt is reserved (counted) before its password is checked, then settled: a failure stays counted, a
 * success clears the user name's count and uncounts itself from the source's, and a refusal that says nothing
 * about the password (directory down, account disabled) uncounts itself everywhere. Counting after the check let
 * 200 simultaneous guesses all be checked (issue #12); now at most `blockAfterFailures` are, whatever the
 * concurrency.
 *
 * Lockout design: a blocked user name is refused from every source (otherwise an attacker spreads guesses over
 * addresses), so anyone can block any name, the administrator's included, for `blockMinutes` at a time, except
 * from a browser that logged that user on before: its attempts count per device (OWASP's "device cookies"), so an
 * anonymous burst cannot keep the administrator out of the console. The block also ends by itself, and
 * `roster users unlock NAME` (run on the server, no login needed), the API and the console lift it at once.
 */
import type { LoginSettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { clearAttempt, purgeAttempts, refundAttempt, reserveAttempts as reserveInStore, settleFailure } from '../store/login-attempts.js';
import type { Executor } from '../store/users.js';

const MAX_DELAY_MS = 16_000;

export type ThrottleKeys = readonly [string] | readonly [string, string];

export interface ThrottleTicket {
  /** How long to wait before checking the password. */
  readonly delayMs: number;
  readonly keys: ThrottleKeys;
}

/**
 * Without a usable name, the attempt counts under one shared key (it is refused anyway). From a trusted device
 * (a browser that logged this user on before, auth/devices.ts) it counts under the device's key instead of the
 * name's: guesses from elsewhere that block the name do not block that browser, which has its own limit.
 */
export function throttleKeys(nameKey: string | undefined, source: string | undefined, deviceKey?: string): ThrottleKeys {
  const nameSide = nameKey === undefined ? 'invalid-name' : (deviceKey ?? `user:${nameKey}`);
  return source ? [nameSide, `source:${source}`] : [nameSide];
}

/** Counts the attempt on every key; refuses it (AUTH_ACCOUNT_LOCKED) when any key is over its limit. */
export async function reserveAttempts(db: Executor, keys: ThrottleKeys, settings: LoginSettings, now = Date.now()): Promise<ThrottleTicket> {
  const limits = { windowMs: settings.windowMinutes * 60_000, blockAfter: settings.blockAfterFailures };
  const reservations = await reserveInStore(db, keys, now, limits);
  const refused = reservations.find((reservation) => reservation.blockedUntil > now || reservation.attempts > settings.blockAfterFailures);
  if (refused) {
    // Nothing is checked, so the other keys do not count this attempt either.
    for (const reservation of reservations) if (reservation !== refused && reservation.attempts <= settings.blockAfterFailures) await refundAttempt(db, reservation.key);
    const until = refused.blockedUntil > now ? refused.blockedUntil : now + settings.blockMinutes * 60_000;
    const minutes = Math.ceil((until - now) / 60_000);
    throw new RosterError('AUTH_ACCOUNT_LOCKED', `Too many failed logins; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
  const earlierFailures = Math.max(...reservations.map((reservation) => reservation.attempts - 1));
  const over = earlierFailures - settings.delayAfterFailures;
  return { delayMs: over >= 0 ? Math.min(MAX_DELAY_MS, 1000 * 2 ** over) : 0, keys };
}

/**
 * A failure also forgets the counters whose window and block are over: failures are what add rows, so purging
 * here keeps the table as small as the last window's failures (issue #12: it grew by one row per name tried).
 */
export async function noteFailure(db: Executor, ticket: ThrottleTicket, settings: LoginSettings, now = Date.now()): Promise<void> {
  for (const key of ticket.keys) await settleFailure(db, key, now, settings.blockAfterFailures, settings.blockMinutes * 60_000);
  await purgeAttempts(db, now, settings.windowMinutes * 60_000);
}

/**
 * A success clears the user name's count, not the source's (only its own reservation is taken back): otherwise
 * an attacker could reset the count of their address by logging in to an account of their own between guesses.
 */
export async function noteSuccess(db: Executor, ticket: ThrottleTicket): Promise<void> {
  for (const key of ticket.keys) {
    if (key.startsWith('user:') || key.startsWith('device:')) await clearAttempt(db, key);
    else await refundAttempt(db, key);
  }
}

/** The refusal says nothing about the password: the attempt is not counted anywhere. */
export async function noteUncounted(db: Executor, ticket: ThrottleTicket): Promise<void> {
  for (const key of ticket.keys) await refundAttempt(db, key);
}
