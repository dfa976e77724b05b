/**
 * Login attempt counters per key (`user:<name key>` or `source:<address>`). An attempt is counted *before* its
 * password is checked, in one atomic upsert per key: 200 simultaneous guesses then get the counts 1..200 and only
 * the first `blockAfter` are checked at all, in one process or in several sharing one PostgreSQL database. The
 * row is only ever changed by single statements (no read-then-write), so no transaction is needed.
 */
import { sql } from 'kysely';
import { compiledOnce } from './compiled.js';
import type { Executor } from './users.js';

export interface Reservation {
  key: string;
  /** Attempts counted in the window, this one included; above `blockAfter` the attempt is refused unchecked. */
  attempts: number;
  blockedUntil: number;
}

export interface AttemptLimits {
  windowMs: number;
  blockAfter: number;
}

const reservationUpsert = (db: Executor, keys: readonly string[], now: string, windowMs: string, blockAfter: string) => {
  const expired = sql<boolean>`(login_attempts.blocked_until > 0 and login_attempts.blocked_until <= ${now})
    or (login_attempts.blocked_until = 0 and ${now} - login_attempts.first_failure_at > ${windowMs})`;
  return db
    .insertInto('login_attempts')
    .values(keys.map((key) => ({ key, failures: 1, first_failure_at: sql<number>`${now}`, last_failure_at: sql<number>`${now}`, blocked_until: 0 })))
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        failures: sql`case when ${expired} then 1 when login_attempts.failures > ${blockAfter} then login_attempts.failures else login_attempts.failures + 1 end`,
        first_failure_at: sql`case when ${expired} then ${now} else login_attempts.first_failure_at end`,
        blocked_until: sql`case when ${expired} then 0 else login_attempts.blocked_until end`,
        last_failure_at: sql`${now}`,
      }),
    )
    .returning(['key', 'failures', 'blocked_until']);
};

// Compiled once per database (a login runs these on every attempt; building them with Kysely cost more than
// SQLite takes to run them). Numbers travel as text and the database converts them to the columns' types.
const reserveOne = compiledOnce((db, key: string, now: string, windowMs: string, blockAfter: string) => reservationUpsert(db, [key], now, windowMs, blockAfter));
const reserveTwo = compiledOnce((db, first: string, second: string, now: string, windowMs: string, blockAfter: string) =>
  reservationUpsert(db, [first, second], now, windowMs, blockAfter),
);

/**
 * Counts one attempt for each key, in one statement. A window that has expired, or a block that has been served,
 * starts again at 1. The count stops one above `blockAfter` (it says "refused"; refused attempts are not checked,
 * so they are not failures to remember one by one).
 */
export async function reserveAttempts(db: Executor, keys: readonly [string] | readonly [string, string], now: number, limits: AttemptLimits): Promise<Reservation[]> {
  const numbers = [String(now), String(limits.windowMs), String(limits.blockAfter)] as const;
  const rows = keys.length === 1 ? await reserveOne(db, keys[0], ...numbers) : await reserveTwo(db, keys[0], keys[1], ...numbers);
  // In the order of the keys (RETURNING's order is not promised for several rows).
  return keys.map((key) => {
    const row = rows.find((candidate) => candidate.key === key)!;
    return { key, attempts: Number(row.failures), blockedUntil: Number(row.blocked_until) };
  });
}

const refundOne = compiledOnce((db, key: string) =>
  db
    .updateTable('login_attempts')
    .set({ failures: sql`login_attempts.failures - 1` })
    .where('key', '=', key)
    .where('failures', '>', 0),
);

/** The attempt was not a failure (a success, or a refusal that says nothing about the password): uncount it. */
export async function refundAttempt(db: Executor, key: string): Promise<void> {
  await refundOne(db, key);
}

/** A checked attempt failed: the key is blocked for `blockMs` once its count reaches `blockAfter`. */
export async function settleFailure(db: Executor, key: string, now: number, blockAfter: number, blockMs: number): Promise<void> {
  await db
    .updateTable('login_attempts')
    .set({ blocked_until: now + blockMs })
    .where('key', '=', key)
    .where('failures', '>=', blockAfter)
    .where('blocked_until', '<=', now)
    .execute();
}

const clearOne = compiledOnce((db, key: string) => db.deleteFrom('login_attempts').where('key', '=', key));

/** Forgets one key's attempts (a successful login clears its user name's). */
export async function clearAttempt(db: Executor, key: string): Promise<void> {
  await clearOne(db, key);
}

export async function clearAttempts(db: Executor, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const result = await db.deleteFrom('login_attempts').where('key', 'in', keys).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Forgets counters whose window and block are both over: without this the table grew with every name tried. */
export async function purgeAttempts(db: Executor, now: number, windowMs: number): Promise<number> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('blocked_until', '<=', now)
    .where('first_failure_at', '<', now - windowMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface LockedKey {
  key: string;
  attempts: number;
  blockedUntil: number;
}

/** Which of the keys refuse attempts now, for the administrator's view. */
export async function lockedKeys(db: Executor, now: number, limits: AttemptLimits, keys: readonly string[]): Promise<LockedKey[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .selectFrom('login_attempts')
    .select(['key', 'failures', 'blocked_until'])
    .where('key', 'in', keys)
    .where((eb) =>
      eb.or([eb('blocked_until', '>', now), eb.and([eb('blocked_until', '=', 0), eb('failures', '>=', limits.blockAfter), eb('first_failure_at', '>=', now - limits.windowMs)])]),
    )
    .execute();
  return rows.map((row) => ({ key: row.key, attempts: Number(row.failures), blockedUntil: Number(row.blocked_until) }));
}
