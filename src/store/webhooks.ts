/**
 * Webhooks and their delivery state. Each webhook has a cursor (the seq of the last event sent or skipped) and is
 * delivered by one server instance at a time: the one holding its lease, taken and renewed with a conditional
 * UPDATE, which PostgreSQL and SQLite both apply atomically (a second instance's UPDATE re-checks the condition on
 * the row the first one changed, and matches nothing).
 */
import type { Kysely, Selectable } from 'kysely';
import { countEventsAfter } from './events.js';
import type { Database, WebhooksTable } from './schema.js';
import type { Executor } from './users.js';

export interface StoredWebhook {
  id: number;
  url: string;
  /** Sealed (store/secrets.ts); opened only to sign a delivery. */
  sealedSecret: string;
  events: string[];
  createdAt: string;
  cursor: number;
  attempts: number;
  firstFailureAt: number | null;
  nextAttemptAt: number;
  lastError: string | null;
}

function toWebhook(row: Selectable<WebhooksTable>): StoredWebhook {
  return {
    id: Number(row.id),
    url: row.url,
    sealedSecret: row.secret,
    events: JSON.parse(row.events) as string[],
    createdAt: row.created_at,
    cursor: Number(row.cursor),
    attempts: Number(row.attempts),
    firstFailureAt: row.first_failure_at === null ? null : Number(row.first_failure_at),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
  };
}

/** A new webhook starts after the newest event: it receives what happens from now on. */
export async function insertWebhook(db: Executor, hook: { url: string; sealedSecret: string; events: readonly string[]; cursor: number }): Promise<number> {
  const row = await db
    .insertInto('webhooks')
    .values({
      url: hook.url,
      secret: hook.sealedSecret,
      events: JSON.stringify(hook.events),
      created_at: new Date().toISOString(),
      cursor: hook.cursor,
      attempts: 0,
      first_failure_at: null,
      next_attempt_at: 0,
      last_error: null,
      lease_owner: null,
      lease_until: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function listWebhooks(db: Executor): Promise<StoredWebhook[]> {
  return (await db.selectFrom('webhooks').selectAll().orderBy('id').execute()).map(toWebhook);
}

export async function findWebhook(db: Executor, id: number): Promise<StoredWebhook | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toWebhook(row) : undefined;
}

export async function deleteWebhook(db: Executor, id: number): Promise<boolean> {
  await db.deleteFrom('webhook_failures').where('webhook_id', '=', id).execute();
  const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Takes or renews the lease of a webhook for `owner`; false when another instance holds it. */
export async function leaseWebhook(db: Executor, id: number, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ lease_owner: owner, lease_until: now + leaseMs })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseWebhookLeases(db: Executor, owner: string): Promise<void> {
  await db.updateTable('webhooks').set({ lease_owner: null, lease_until: 0 }).where('lease_owner', '=', owner).execute();
}

/**
 * Moves the cursor past `seq`, clears the retry state and renews the lease until `leaseUntil`, if `owner` still holds
 * the lease: one write per event delivered.
 */
export async function advanceCursor(db: Executor, id: number, owner: string, seq: number, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ cursor: seq, attempts: 0, first_failure_at: null, next_attempt_at: 0, last_error: null, lease_until: leaseUntil })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordAttemptFailure(
  db: Executor,
  id: number,
  owner: string,
  failure: { attempts: number; firstFailureAt: number; nextAttemptAt: number; error: string },
): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ attempts: failure.attempts, first_failure_at: failure.firstFailureAt, next_attempt_at: failure.nextAttemptAt, last_error: failure.error })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

export interface WebhookFailure {
  webhookId: number;
  eventSeq: number;
  attempts: number;
  lastError: string;
  failedAt: string;
}

/**
 * Gives up on an event after the retry period: kept as a failure for the administrator, and the cursor moves on. The
 * time of the first failure stays: the receiver has not answered since (see webhooks/deliverer.ts).
 */
export async function giveUpEvent(db: Kysely<Database>, id: number, owner: string, seq: number, attempts: number, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('webhooks')
      .set({ cursor: seq, attempts: 0, next_attempt_at: 0, last_error: error })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return;
    await trx.insertInto('webhook_failures').values({ webhook_id: id, event_seq: seq, attempts, last_error: error, failed_at: new Date().toISOString() }).execute();
  });
}

export async function listWebhookFailures(db: Executor, webhookId?: number): Promise<WebhookFailure[]> {
  let query = db.selectFrom('webhook_failures').selectAll().orderBy('webhook_id').orderBy('event_seq');
  if (webhookId !== undefined) query = query.where('webhook_id', '=', webhookId);
  return (await query.execute()).map((row) => ({
    webhookId: Number(row.webhook_id),
    eventSeq: Number(row.event_seq),
    attempts: Number(row.attempts),
    lastError: row.last_error,
    failedAt: row.failed_at,
  }));
}

export async function deleteWebhookFailure(db: Executor, webhookId: number, eventSeq: number): Promise<void> {
  await db.deleteFrom('webhook_failures').where('webhook_id', '=', webhookId).where('event_seq', '=', eventSeq).execute();
}

/** Events each webhook has still to go through (sent or skipped), for the pending-queue metric. */
export async function webhookBacklog(db: Executor): Promise<Array<{ id: number; pending: number }>> {
  const hooks = await db.selectFrom('webhooks').select(['id', 'cursor']).execute();
  const backlog = [];
  for (const hook of hooks) backlog.push({ id: Number(hook.id), pending: await countEventsAfter(db, Number(hook.cursor)) });
  return backlog;
}
