/**
 * Claims on scheduled ticks. Every instance runs the same cron schedule; the lock alone would let a second
 * instance run a tick again when the first one's run ended before the second one's timer fired (a 100 ms run,
 * timers a few ms apart). The one instance whose conditional upsert moves the stored tick forward runs it.
 */
import type { Executor } from './users.js';

/**
 * Claims the tick scheduled at `tick` (ms since the epoch) of the schedule `name` for `instance`: true for the
 * one caller that moved the claim forward, false for every other one (and for a tick older than the claim).
 * One statement, `INSERT … ON CONFLICT DO UPDATE … WHERE`, atomic on SQLite and PostgreSQL alike.
 */
export async function claimScheduledTick(db: Executor, name: string, tick: number, instance: string): Promise<boolean> {
  const claimed = await db
    .insertInto('schedule_claims')
    .values({ name, tick, instance, claimed_at: Date.now() })
    .onConflict((conflict) =>
      conflict
        .column('name')
        .doUpdateSet((update) => ({ tick: update.ref('excluded.tick'), instance: update.ref('excluded.instance'), claimed_at: update.ref('excluded.claimed_at') }))
        .where('schedule_claims.tick', '<', tick),
    )
    .returning('name')
    .executeTakeFirst();
  return claimed !== undefined;
}
