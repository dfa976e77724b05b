/**
 * Change events (DESIGN §5): written in the transaction of the change itself, in the order webhooks deliver them.
 * A first sync writes 100,000 of them, so they are stored like a run's changes, a page per row: a row per event
 * cost a first sync about as much as inserting the users (measured ~1 s on SQLite and PostgreSQL for 100,000). An
 * event's position is its page's seq times POSITION_STRIDE plus its index in the page; positions only grow, and a
 * webhook's cursor is the position of the last event it went through. `id` (a UUID) names the event outside Roster
 * (the X-Roster-Delivery header).
 *
 * A sync's `user.created` events are most of them and repeat what the run's changes (runs.ts) already hold: the user
 * name, full name, addresses and DN. They are stored as references instead (a "run page", below), expanded when
 * read; writing them in full cost a first sync of 100,000 users ~0.25 s and ~30 MB more to commit (session 6,
 * docs/benchmarks.md). Readers see the same events either way.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { RosterError } from '../errors.js';
import { insertMany, isPostgres } from './bulk.js';
import { CHANGES_PER_PAGE, type RunChange } from './runs.js';
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

/**
 * A sync's `user.created` events, one per user, whose user names and data (`fullName`, `emailAddresses`, `dn`) are
 * those of the run's 'created' changes from position `firstChange` on (from 0, in the order the run's changes were
 * recorded): user i is change firstChange + i. The run's changes must be recorded in the same transaction, before.
 */
export interface RunCreatedEvents {
  type: 'user.created';
  runId: number;
  firstChange: number;
  users: ReadonlyArray<{ readonly stableId: string | null; readonly disabled: boolean }>;
}

export type EventToAppend = NewEvent | RunCreatedEvents;

function isRunCreated(event: EventToAppend): event is RunCreatedEvents {
  return 'firstChange' in event;
}

/**
 * A run page: up to EVENTS_PER_PAGE `user.created` events taken from one stored page of a run's changes (offsets
 * `offset` to `offset + size - 1` of change page `page`), with what the changes lack. Its event ids are `id` with the
 * last three hex digits replaced by the event's index in the page: the ids of one page are distinct and keep
 * 110 of a random UUID's 122 random bits, so they stay unique across pages.
 */
interface RunPage {
  run: number;
  page: number;
  offset: number;
  id: string;
  time: string;
  actor: string;
  stableIds: Array<string | null>;
  /** Indexes (in the page) of the users created disabled. */
  disabled: number[];
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
export async function appendEvents(trx: Executor, events: Iterable<EventToAppend>, actor: string, time = new Date().toISOString()): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${EVENTS_LOCK_KEY})`.execute(trx);
  // A page is ~60 KB of JSON: two per statement or COPY chunk, so no string much over V8's 128 KB large-object
  // threshold is built (a COPY chunk of 200 pages was 12 MB and raised a first sync's peak on PostgreSQL by ~100 MB).
  await insertMany(trx, 'events', pagesOf(events, actor, time), { maxRows: 2 });
}

function* pagesOf(events: Iterable<EventToAppend>, actor: string, time: string): Generator<{ size: number; events: string }> {
  let page: Array<Omit<RosterEvent, 'seq'>> = [];
  for (const event of events) {
    if (isRunCreated(event)) {
      if (page.length > 0) yield { size: page.length, events: JSON.stringify(page) };
      page = [];
      yield* runPagesOf(event, actor, time);
      continue;
    }
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

/** Run pages for created users: each within one stored page of the run's changes, so reading one reads one. */
function* runPagesOf(events: RunCreatedEvents, actor: string, time: string): Generator<{ size: number; events: string }> {
  for (let index = 0; index < events.users.length;) {
    const change = events.firstChange + index;
    const offset = change % CHANGES_PER_PAGE;
    const size = Math.min(CHANGES_PER_PAGE - offset, EVENTS_PER_PAGE, events.users.length - index);
    const page: RunPage = { run: events.runId, page: Math.floor(change / CHANGES_PER_PAGE), offset, id: randomUUID(), time, actor, stableIds: [], disabled: [] };
    for (let at = 0; at < size; at++) {
      const user = events.users[index + at]!;
      page.stableIds.push(user.stableId);
      if (user.disabled) page.disabled.push(at);
    }
    yield { size, events: JSON.stringify(page) };
    index += size;
  }
}

async function eventsOfPage(db: Executor, seq: number, json: string): Promise<RosterEvent[]> {
  const first = seq * POSITION_STRIDE;
  if (!json.startsWith('{')) return (JSON.parse(json) as Array<Omit<RosterEvent, 'seq'>>).map((event, index) => ({ seq: first + index, ...event }));
  return eventsOfRunPage(db, first, JSON.parse(json) as RunPage);
}

/** The events of a run page, rebuilt from the run's changes as a stored page would hold them. */
async function eventsOfRunPage(db: Executor, first: number, page: RunPage): Promise<RosterEvent[]> {
  const row = await db.selectFrom('sync_run_change_pages').select('changes').where('run_id', '=', page.run).where('page', '=', page.page).executeTakeFirst();
  const changes = row ? (JSON.parse(row.changes) as RunChange[]).slice(page.offset, page.offset + page.stableIds.length) : [];
  if (changes.length !== page.stableIds.length || changes.some((change) => change.action !== 'created')) {
    throw new RosterError('INTERNAL', `The events at position ${first} refer to changes of run ${page.run} that are not stored.`);
  }
  const disabled = new Set(page.disabled);
  const idStem = page.id.slice(0, 33);
  return changes.map((change, index) => ({
    seq: first + index,
    id: idStem + index.toString(16).padStart(3, '0'),
    type: 'user.created',
    time: page.time,
    stableId: page.stableIds[index]!,
    userName: change.userName,
    source: 'directory',
    runId: page.run,
    actor: page.actor,
    // The keys in the order syncEvents (sync/events.ts) gives a created user's data, so the body is the same.
    data: { ...(change.detail as object), disabled: disabled.has(index) },
  }));
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
    for (const page of pages) for (const event of await eventsOfPage(db, Number(page.seq), page.events)) if (event.seq > after && found.length < limit) found.push(event);
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
  return page ? (await eventsOfPage(db, Number(page.seq), page.events)).find((event) => event.seq === position) : undefined;
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
