import { compiledOnce } from './compiled.js';
import type { Executor } from './users.js';

export interface AttemptRecord {
  key: string;
  failures: number;
  firstFailureAt: number;
  blockedUntil: number;
}

const attemptsOf = compiledOnce((db, first: string, second: string) =>
  db.selectFrom('login_attempts').select(['key', 'failures', 'first_failure_at', 'blocked_until']).where('key', 'in', [first, second]),
);

/** The records of one or two keys (a login reads its user name's and its source's on every attempt). */
export async function readAttempts(db: Executor, keys: [string] | [string, string]): Promise<AttemptRecord[]> {
  const rows = await attemptsOf(db, keys[0], keys[1] ?? keys[0]);
  return rows.map((row) => ({ key: row.key, failures: Number(row.failures), firstFailureAt: Number(row.first_failure_at), blockedUntil: Number(row.blocked_until) }));
}

/** Counts one failure for each key, starting a new window when the old one has expired. */
export async function recordFailure(db: Executor, key: string, now: number, windowMs: number, blockAfter: number, blockMs: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('login_attempts').select(['failures', 'first_failure_at']).where('key', '=', key).executeTakeFirst();
    const fresh = !row || now - Number(row.first_failure_at) > windowMs;
    const failures = fresh ? 1 : Number(row.failures) + 1;
    const values = { failures, first_failure_at: fresh ? now : Number(row.first_failure_at), last_failure_at: now, blocked_until: failures >= blockAfter ? now + blockMs : 0 };
    if (row) await trx.updateTable('login_attempts').set(values).where('key', '=', key).execute();
    else
      await trx
        .insertInto('login_attempts')
        .values({ key, ...values })
        .execute();
  });
}

export async function clearAttempts(db: Executor, keys: string[]): Promise<void> {
  await db.deleteFrom('login_attempts').where('key', 'in', keys).execute();
}
