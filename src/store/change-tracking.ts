/**
 * The stored side of incremental runs: the directory image (every user and group entry last read, by syncUUID)
 * and the change-tracking state (cookies). Both are written only inside the transaction that commits the run's
 * changes, so a refused, failed or killed run leaves the cookie where it was and the next run reads the same
 * changes again (issue 14). The texts are opaque here: directory/ encodes and decodes them.
 */
import { sql } from 'kysely';
import { insertMany, isPostgres } from './bulk.js';
import type { Executor } from './users.js';

export type ImageKind = 'user' | 'group';

export interface ImageRow {
  readonly uuid: string;
  readonly dn: string;
  readonly dnKey: string;
  readonly attributes: string;
}

export interface StoredTracking {
  readonly settingsFingerprint: string;
  readonly state: string;
  readonly lastFullRunAt: string;
  readonly localMark: string;
  readonly summary: string;
}

/** What a committed run changes in the image: everything anew (a full run), or the entries that changed. */
export type ImageUpdate =
  | { readonly replace: true; readonly users: Iterable<ImageRow>; readonly groups: Iterable<ImageRow> }
  | {
      readonly replace: false;
      readonly users: { readonly upserts: readonly ImageRow[]; readonly deletes: readonly string[] };
      readonly groups: { readonly upserts: readonly ImageRow[]; readonly deletes: readonly string[] };
    };

export async function loadTracking(db: Executor): Promise<StoredTracking | undefined> {
  const row = await db.selectFrom('change_tracking').selectAll().where('id', '=', 1).executeTakeFirst();
  return row
    ? { settingsFingerprint: row.settings_fingerprint, state: row.state, lastFullRunAt: row.last_full_run_at, localMark: row.local_mark, summary: row.summary }
    : undefined;
}

/**
 * A mark of Roster's users that changes whenever one is added (count, highest id), removed (count) or updated
 * (latest updated_at; every update of a user sets it): a run that finds the directory unchanged may skip planning
 * only when the users it would plan against are the ones the last run left. One scan of the table (~10 ms for
 * 100,000 users on SQLite).
 */
export async function localUsersMark(db: Executor): Promise<string> {
  const row = await db
    .selectFrom('users')
    .select([db.fn.countAll<number>().as('count'), db.fn.max('id').as('maxId'), db.fn.max('updated_at').as('lastUpdate')])
    .executeTakeFirstOrThrow();
  return JSON.stringify([Number(row.count), row.maxId === null ? null : Number(row.maxId), row.lastUpdate ?? null]);
}

/** Whether some user waits for its deletion (options.deleteAfter): such a run must plan even when nothing changed. */
export async function hasPendingDeletions(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('pending_deletion_since', 'is not', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function loadImage(db: Executor, kind: ImageKind): Promise<ImageRow[]> {
  return db.selectFrom('directory_image').select(['uuid', 'dn', 'dn_key as dnKey', 'attributes']).where('kind', '=', kind).execute();
}

/** Keys per `in (...)` list: far below SQLite's limit of bound values. */
const KEY_CHUNK = 500;

/** The image entries of a kind with one of these syncUUIDs or normalized DNs (an incremental run's few). */
export async function loadImageEntries(db: Executor, kind: ImageKind, keys: { readonly uuids: readonly string[]; readonly dnKeys: readonly string[] }): Promise<ImageRow[]> {
  const rows = new Map<string, ImageRow>();
  for (const [column, values] of [
    ['uuid', keys.uuids],
    ['dn_key', keys.dnKeys],
  ] as const) {
    for (let at = 0; at < values.length; at += KEY_CHUNK) {
      const found = await db
        .selectFrom('directory_image')
        .select(['uuid', 'dn', 'dn_key as dnKey', 'attributes'])
        .where('kind', '=', kind)
        .where(column, 'in', values.slice(at, at + KEY_CHUNK))
        .execute();
      for (const row of found) rows.set(row.uuid, row);
    }
  }
  return [...rows.values()];
}

/**
 * The syncUUIDs of a kind's image entries: what a present phase (RFC 4533 §3.3.2) is compared with. Joined into
 * one text by the database: 100,000 rows of one column cost ~4x more as row objects.
 */
export async function loadImageUuids(db: Executor, kind: ImageKind): Promise<string[]> {
  const joined = isPostgres(db) ? sql<string>`string_agg(uuid, ',')` : sql<string>`group_concat(uuid, ',')`;
  const row = await db.selectFrom('directory_image').select(joined.as('uuids')).where('kind', '=', kind).executeTakeFirst();
  return row?.uuids ? row.uuids.split(',') : [];
}

function* rowsOf(kind: ImageKind, rows: Iterable<ImageRow>) {
  for (const row of rows) yield { kind, uuid: row.uuid, dn: row.dn, dn_key: row.dnKey, attributes: row.attributes };
}

async function deleteEntries(db: Executor, kind: ImageKind, uuids: readonly string[]): Promise<void> {
  // Bounded statements: SQLite binds at most 32,766 values.
  for (let at = 0; at < uuids.length; at += 1000) {
    await db
      .deleteFrom('directory_image')
      .where('kind', '=', kind)
      .where('uuid', 'in', uuids.slice(at, at + 1000))
      .execute();
  }
}

/** Writes the image update and the new state; call inside the run's transaction. */
export async function saveTracking(db: Executor, update: ImageUpdate, tracking: StoredTracking): Promise<void> {
  if (update.replace) {
    await db.deleteFrom('directory_image').execute();
    await insertMany(db, 'directory_image', rowsOf('user', update.users), { maxRows: 400 });
    await insertMany(db, 'directory_image', rowsOf('group', update.groups), { maxRows: 400 });
  } else {
    for (const kind of ['user', 'group'] as const) {
      const { upserts, deletes } = update[kind === 'user' ? 'users' : 'groups'];
      await deleteEntries(db, kind, [...deletes, ...upserts.map((row) => row.uuid)]);
      await insertMany(db, 'directory_image', rowsOf(kind, upserts), { maxRows: 100 });
    }
  }
  await db.deleteFrom('change_tracking').execute();
  await db
    .insertInto('change_tracking')
    .values({
      id: 1,
      settings_fingerprint: tracking.settingsFingerprint,
      state: tracking.state,
      last_full_run_at: tracking.lastFullRunAt,
      local_mark: tracking.localMark,
      summary: tracking.summary,
    })
    .execute();
}

/** Forgets the image and the state (a full run that could not take a cookie); the next run is full again. */
export async function clearTracking(db: Executor): Promise<void> {
  await db.deleteFrom('directory_image').execute();
  await db.deleteFrom('change_tracking').execute();
}
