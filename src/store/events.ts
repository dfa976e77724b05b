/**
 * Change events (DESIGN §5): written in the transaction of the change itself, in the order webhooks deliver them.
 * A first sync writes 100,000 of them, so they are stored like a run's changes, a page per row: a row per event
 * cost a first sync about as much as inserting the users (measured ~1 s on SQLite and PostgreSQL for 100,000). An
 * event's position is its page's seq times POSITION_STRIDE plus its index in the page; positions only grow, and a
 * webhook's cursor is the position of the last event it went through. `id` (a UUID) names the event outside Roster
 * (the X-Roster-Delivery header).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertMany, isPostgres } from './bulk.js';
import type { Executor } from './users.js';

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deletionScheduled',
  'user.restored',
  'user.deleted',
  'sync.committed',
  'sync.refused',
  'sync.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  stableId?: string | null;
  userName?: string | null;
  source?: string | null;
  runId?: number | null;
  data: unknown;
}

/** An event as delivered (the JSON body of a webhook POST), with its position in Roster's order (`seq`, not sent). */
export interface RosterEvent {
  seq: number;
  id: string;
  type: EventType;
  time: string;
  stableId: string | null;
  userName: string | null;
  source: string | null;
  runId: number | null;
  /** Who made the change: "sync:<trigger>", "admin:<name>", "console:<name>", "cli", "self:<name>". */
  actor: string;
  data: unknown;
}

/** Events per page: ~60 KB of JSON for created users, a young-generation string (see json-stream.ts). */
const EVENTS_PER_PAGE = 200;
/** Positions per page (more than EVENTS_PER_PAGE): position = seq * stride + index. */
const POSITION_STRIDE = 1024;
// Any fixed number: the key of the advisory lock that orders event writers on PostgreSQL (below).
const EVENTS_LOCK_KEY = 7_352_115;

/**
 * Appends events in the caller's transaction, which must be one: on PostgreSQL the transaction first takes an
 * advisory lock held until it ends, so page seqs are handed out in commit order. Without it a long sync could hold
 * pages 10..510 while an administrator's change got 511 and committed first; a deliverer that had sent 511 would
 * never see the sync's events (it reads forward from its cursor). SQLite has one writer at a time already.
 */
export async function appendEvents(trx: Executor, events: Iterable<NewEvent>, actor: string, time = new Date().toISOString()): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${EVENTS_LOCK_KEY})`.execute(trx);
  // A page is ~60 KB of JSON: two per statement or COPY chunk, so no string much over V8's 128 KB large-object
  // threshold is built (a COPY chunk of 200 pages was 12 MB and raised a first sync's peak on PostgreSQL by ~100 MB).
  await insertMany(trx, 'events', pagesOf(events, actor, time), { maxRows: 2 });
}

function* pagesOf(events: Iterable<NewEvent>, actor: string, time: string): Generator<{ size: number; events: string }> {
  let page: Array<Omit<RosterEvent, 'seq'>> = [];
  for (const event of events) {
    page.push({
      id: randomUUID(),
      type: event.type,
      time,
      stableId: event.stableId ?? null,
      userName: event.userName ?? null,
      source: event.source ?? null,
      runId: event.runId ?? null,
      actor,
      data: event.data,
    });
    if (page.length === EVENTS_PER_PAGE) {
      yield { size: page.length, events: JSON.stringify(page) };
      page = [];
    }
  }
  if (page.length > 0) yield { size: page.length, events: JSON.stringify(page) };
}

function eventsOfPage(seq: number, json: string): RosterEvent[] {
  return (JSON.parse(json) as Array<Omit<RosterEvent, 'seq'>>).map((event, index) => ({ seq: seq * POSITION_STRIDE + index, ...event }));
}

/** The JSON a receiver gets: the event without its position. */
export function eventBody({ seq: _seq, ...event }: RosterEvent): string {
  return JSON.stringify(event);
}

const PAGES_PER_READ = 8;

/** Up to `limit` events after position `after`, in order. */
export async function eventsAfter(db: Executor, after: number, limit: number): Promise<RosterEvent[]> {
  const found: RosterEvent[] = [];
  let fromPage = Math.floor(after / POSITION_STRIDE);
  while (found.length < limit) {
    const pages = await db.selectFrom('events').select(['seq', 'events']).where('seq', '>=', fromPage).orderBy('seq').limit(PAGES_PER_READ).execute();
    for (const page of pages) for (const event of eventsOfPage(Number(page.seq), page.events)) if (event.seq > after && found.length < limit) found.push(event);
    if (pages.length < PAGES_PER_READ) break;
    fromPage = Number(pages.at(-1)!.seq) + 1;
  }
  return found;
}

export async function findEventAt(db: Executor, position: number): Promise<RosterEvent | undefined> {
  const page = await db
    .selectFrom('events')
    .select(['seq', 'events'])
    .where('seq', '=', Math.floor(position / POSITION_STRIDE))
    .executeTakeFirst();
  return page ? eventsOfPage(Number(page.seq), page.events).find((event) => event.seq === position) : undefined;
}

/** The position of the newest event (0 when there is none): a new webhook starts after it. */
export async function lastEventPosition(db: Executor): Promise<number> {
  const page = await db.selectFrom('events').select(['seq', 'size']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return page ? Number(page.seq) * POSITION_STRIDE + Number(page.size) - 1 : 0;
}

/** How many events come after position `after` (a webhook's backlog). */
export async function countEventsAfter(db: Executor, after: number): Promise<number> {
  const cursorPage = Math.floor(after / POSITION_STRIDE);
  const later = await db
    .selectFrom('events')
    .select((eb) => eb.fn.sum<number>('size').as('total'))
    .where('seq', '>', cursorPage)
    .executeTakeFirst();
  const current = await db.selectFrom('events').select('size').where('seq', '=', cursorPage).executeTakeFirst();
  const leftInCurrent = current ? Math.max(0, Number(current.size) - (after % POSITION_STRIDE) - 1) : 0;
  return Number(later?.total ?? 0) + leftInCurrent;
}
