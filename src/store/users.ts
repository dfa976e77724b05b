import { CompiledQuery, sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { parseDigestSeed, type DigestSeed, type StoredDigests } from '../digest.js';
import type { ArchiveAccess, Privilege } from '../config/schema.js';
import { userNameKey, type AuthenticationMethod, type LocalUser, type User, type UserSource } from '../model.js';
import { isPostgres } from './bulk.js';
import { compiledOnce } from './compiled.js';
import { refreshSearchText, searchTextOf } from './user-search.js';
import type { Database, UsersTable } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

export interface StoredUser extends User {
  id: number;
}

type UserRow = Omit<Selectable<UsersTable>, 'password_hash' | 'created_at' | 'updated_at' | 'user_name_key' | 'sync_digest' | 'search_text'>;

/** A stored user as callers see it: without the row id. */
export function publicUser({ id: _id, ...user }: StoredUser): User {
  return user;
}

/**
 * Privilege lists repeat across thousands of users: within one query's answer, each distinct one is parsed once and
 * shared by the users that have it (User's lists are readonly, so sharing is safe). Made per query, not per module.
 */
export class SharedLists {
  private readonly byJson = new Map<string, readonly string[]>();

  of<T extends string>(json: string): readonly T[] {
    let list = this.byJson.get(json);
    if (!list) this.byJson.set(json, (list = JSON.parse(json) as string[]));
    return list as readonly T[];
  }
}

export function toUser(row: UserRow, lists: SharedLists = new SharedLists()): StoredUser {
  return {
    id: row.id,
    userName: row.user_name,
    fullName: row.full_name,
    emailAddresses: JSON.parse(row.email_addresses) as string[],
    source: row.source as UserSource,
    authentication: row.authentication as AuthenticationMethod,
    disabled: row.disabled === 1,
    privileges: lists.of<Privilege>(row.privileges),
    archiveAccess: lists.of<ArchiveAccess>(row.archive_access),
    dn: row.dn,
    stableId: row.stable_id,
    // Present only while pending, so a user object is what it was for every other user (scripts, API, tests).
    ...(row.pending_deletion_since ? { pendingDeletionSince: row.pending_deletion_since } : {}),
  };
}

/**
 * JSON of lists, each list object serialized once: the users a sync creates share their default privilege lists
 * (sync/plan.ts), 100,000 of them. One per batch of rows written, not per module.
 */
export class ListJson {
  private readonly byList = new Map<readonly string[], string>();

  of(list: readonly string[]): string {
    let json = this.byList.get(list);
    if (json === undefined) this.byList.set(list, (json = JSON.stringify(list)));
    return json;
  }
}

export function userRow(user: User, now: string, passwordHash: string | null = null, syncDigest: number | null = null, lists: ListJson = new ListJson()): Insertable<UsersTable> {
  const key = userNameKey(user.userName);
  return {
    user_name: user.userName,
    user_name_key: key,
    full_name: user.fullName,
    email_addresses: JSON.stringify(user.emailAddresses),
    source: user.source,
    authentication: user.authentication,
    disabled: user.disabled ? 1 : 0,
    privileges: lists.of(user.privileges),
    archive_access: lists.of(user.archiveAccess),
    dn: user.dn,
    stable_id: user.stableId,
    sync_digest: user.source === 'directory' ? syncDigest : null,
    password_hash: passwordHash,
    search_text: searchTextOf(key, user.fullName, user.emailAddresses),
    created_at: now,
    updated_at: now,
  };
}

export const USER_COLUMNS = [
  'id',
  'user_name',
  'full_name',
  'email_addresses',
  'source',
  'authentication',
  'disabled',
  'privileges',
  'archive_access',
  'dn',
  'stable_id',
  'pending_deletion_since',
] as const;

export async function listUsers(db: Executor): Promise<StoredUser[]> {
  const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('user_name_key').execute();
  const lists = new SharedLists();
  return rows.map((row) => toUser(row, lists));
}

/**
 * Users as the planner needs them, in storage order (sorting 100,000 rows costs): every user, or (after
 * matchDigests) only the users without a digest and the listed ones. The rest were found unchanged by their digest
 * and need not be loaded at all.
 */
export async function usersForPlanning(db: Executor, unmatchedIds?: readonly number[]): Promise<LocalUser[]> {
  if (!unmatchedIds) return (await planningRows(db).execute()).map(localUser);
  const users = (await planningRows(db).where('sync_digest', 'is', null).execute()).map(localUser);
  for (let start = 0; start < unmatchedIds.length; start += ID_CHUNK) {
    const rows = await planningRows(db)
      .where('id', 'in', unmatchedIds.slice(start, start + ID_CHUNK))
      .execute();
    for (const row of rows) users.push(localUser(row));
  }
  return users;
}

/** Ids per `in (...)` list: far below SQLite's limit of bound values. */
const ID_CHUNK = 500;

/**
 * The users with one of these stable ids or user name keys, each once, in storage order: an incremental run
 * plans only the users its changes can reach (sync/delta-run.ts).
 */
export async function usersForPlanningByKeys(db: Executor, keys: { readonly stableIds: readonly string[]; readonly nameKeys: readonly string[] }): Promise<LocalUser[]> {
  const found = new Map<number, PlanningRow>();
  for (const [column, values] of [
    ['stable_id', keys.stableIds],
    ['user_name_key', keys.nameKeys],
  ] as const) {
    for (let start = 0; start < values.length; start += ID_CHUNK) {
      const rows = await planningRows(db)
        .select('id')
        .where(column, 'in', values.slice(start, start + ID_CHUNK))
        .execute();
      for (const row of rows) found.set(row.id, row);
    }
  }
  return [...found.entries()].sort(([a], [b]) => a - b).map(([, row]) => localUser(row));
}

export async function countDirectoryUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select(db.fn.countAll<number>().as('count')).where('source', '=', 'directory').executeTakeFirstOrThrow();
  return Number(row.count);
}

function planningRows(db: Executor) {
  return db
    .selectFrom('users')
    .select(['user_name', 'source', 'stable_id', 'full_name', 'email_addresses', 'dn', 'disabled', 'sync_digest', 'pending_deletion_since'])
    .orderBy('id');
}

type PlanningRow = Pick<
  Selectable<UsersTable>,
  'user_name' | 'source' | 'stable_id' | 'full_name' | 'email_addresses' | 'dn' | 'disabled' | 'sync_digest' | 'pending_deletion_since'
>;

function localUser(row: PlanningRow): LocalUser {
  return {
    userName: row.user_name,
    source: row.source === 'manual' ? 'manual' : 'directory',
    stableId: row.stable_id,
    fullName: row.full_name,
    emailAddresses: JSON.parse(row.email_addresses) as string[],
    dn: row.dn,
    disabled: row.disabled === 1,
    syncDigest: row.sync_digest,
    ...(row.pending_deletion_since ? { pendingDeletionSince: row.pending_deletion_since } : {}),
  };
}

export const DIGEST_SEED_KEY = 'sync_digest_seed';

export async function loadDigestSeed(db: Executor): Promise<DigestSeed | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', DIGEST_SEED_KEY).executeTakeFirst();
  return row ? parseDigestSeed(row.value) : undefined;
}

/**
 * The sync digests of the directory users (only they have one, see userRow), in the order the database reads them:
 * insertion order in practice, which is the order a first sync read the directory, but nothing relies on it (see
 * matchDigests). As rows, 100,000 of them took 80-170 ms and left 100,000 objects to collect. SQLite gives them as one
 * text (30-50 ms); PostgreSQL streams them with COPY (pg's parser took 60-160 ms more for the same text in one
 * value). Not sorted by id: on PostgreSQL that sort took 60-180 ms more.
 */
export async function storedDigests(db: Executor): Promise<StoredDigests> {
  const parser = new DigestListParser();
  if (isPostgres(db)) {
    const { CopyOut } = await import('./copy.js');
    const copy = 'copy (select id, sync_digest from users where sync_digest is not null) to stdout';
    await db.executeQuery(CompiledQuery.raw(copy, [new CopyOut((chunk) => parser.push(chunk))]));
  } else {
    // The same text as COPY's: "id<tab>digest" lines.
    // Separators written as literals: char(9) and char(10) cost SQLite a function call per row (20 ms more).
    const { rows } = await sql<{ list: string | null }>`select group_concat(id || '	' || sync_digest, '
') as list from users where sync_digest is not null`.execute(db);
    const list = rows[0]?.list ?? '';
    // Lines are 15-25 characters: room for all of them at once instead of doublings.
    parser.reserve(Math.ceil(list.length / 12));
    parser.push(Buffer.from(list, 'latin1'));
  }
  return parser.finish();
}

const TAB = 9;
const NEWLINE = 10;

/** Lines of "id<tab>digest" (non-negative integers, COPY's text format), read as they arrive, into two arrays. */
export class DigestListParser {
  private ids: Float64Array = new Float64Array(1024);
  private digests: Float64Array = new Float64Array(1024);
  private count = 0;
  /** The number being read, how many digits it has so far, and whether it is the id (0) or the digest (1). */
  private value = 0;
  private digits = 0;
  private field = 0;

  /** Makes room for `rows` lines in all. */
  reserve(rows: number): void {
    if (rows <= this.ids.length) return;
    this.ids = grown(this.ids, rows);
    this.digests = grown(this.digests, rows);
  }

  push(bytes: Uint8Array): void {
    // Locals in the loop, fields between chunks: this runs over 2 MB.
    let { value, digits, field, count, ids, digests } = this;
    for (let at = 0; at < bytes.length; at++) {
      const byte = bytes[at]!;
      if (byte >= 48 && byte <= 57) {
        value = value * 10 + (byte - 48);
        digits++;
        continue;
      }
      if (digits === 0 || byte !== (field === 0 ? TAB : NEWLINE)) throw new Error(`malformed digest list: byte ${byte} in line ${count + 1}`);
      if (field === 0) {
        if (count === ids.length) {
          ids = grown(ids);
          digests = grown(digests);
        }
        ids[count] = value;
        field = 1;
      } else {
        digests[count++] = value;
        field = 0;
      }
      value = 0;
      digits = 0;
    }
    Object.assign(this, { value, digits, field, count, ids, digests });
  }

  finish(): StoredDigests {
    if (this.field === 1 && this.digits > 0) this.push(Uint8Array.of(NEWLINE));
    if (this.digits > 0 || this.field !== 0) throw new Error(`malformed digest list: line ${this.count + 1} is incomplete`);
    return { ids: this.ids.subarray(0, this.count), digests: this.digests.subarray(0, this.count) };
  }
}

function grown(array: Float64Array, size = array.length * 2): Float64Array {
  const larger = new Float64Array(size);
  larger.set(array);
  return larger;
}

/** Sets the digests of many users, found by row id or by user name key, a few hundred per statement. */
export async function writeSyncDigests(db: Executor, rows: ReadonlyArray<{ key: number | string; digest: number }>, by: 'id' | 'user_name_key' = 'id'): Promise<void> {
  for (let start = 0; start < rows.length; start += ID_CHUNK) {
    const chunk = rows.slice(start, start + ID_CHUNK);
    const cases = sql.join(
      chunk.map((row) => sql`when ${row.key} then cast(${row.digest} as bigint)`),
      sql` `,
    );
    await sql`update users set sync_digest = case ${sql.ref(by)} ${cases} end where ${sql.ref(by)} in (${sql.join(chunk.map((row) => row.key))})`.execute(db);
  }
}

export async function hasAnyUser(db: Executor): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Whether an enabled user holds the `admin` privilege (privileges are stored as a JSON list of names). */
export async function hasEnabledAdministrator(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('disabled', '=', 0).where('privileges', 'like', '%"admin"%').limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Inserts the user unless the name is taken (`ON CONFLICT DO NOTHING` on the unique name key): true when this
 * call inserted it. Instances starting together all try; exactly one wins, and nobody gets a unique violation.
 */
export async function insertUserIfNameFree(db: Executor, user: User, passwordHash: string | null): Promise<boolean> {
  const inserted = await db
    .insertInto('users')
    .values(userRow(user, new Date().toISOString(), passwordHash))
    .onConflict((conflict) => conflict.column('user_name_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

const userByKey = compiledOnce((db, key: string) => db.selectFrom('users').select(USER_COLUMNS).where('user_name_key', '=', key));

export async function findUser(db: Executor, userName: string): Promise<StoredUser | undefined> {
  const [row] = await userByKey(db, userNameKey(userName));
  return row ? toUser(row) : undefined;
}

/** The user with this row id: what a session belongs to (a rename keeps it; no other user ever gets it). */
export async function findUserById(db: Executor, id: number): Promise<StoredUser | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

export async function findPasswordHash(db: Executor, userName: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('password_hash').where('user_name_key', '=', userNameKey(userName)).executeTakeFirst();
  return row?.password_hash ?? null;
}

export async function insertUser(db: Executor, user: User, passwordHash: string | null): Promise<void> {
  await db
    .insertInto('users')
    .values(userRow(user, new Date().toISOString(), passwordHash))
    .execute();
}

export async function deleteUser(db: Executor, userName: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('user_name_key', '=', userNameKey(userName)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface UserPatch {
  fullName?: string;
  emailAddresses?: string[];
  authentication?: AuthenticationMethod;
  disabled?: boolean;
  privileges?: Privilege[];
  archiveAccess?: ArchiveAccess[];
  dn?: string | null;
  passwordHash?: string | null;
}

export async function updateUser(db: Executor, userName: string, patch: UserPatch): Promise<void> {
  const syncedFieldChanged = patch.fullName !== undefined || patch.emailAddresses !== undefined || patch.disabled !== undefined || patch.dn !== undefined;
  await db
    .updateTable('users')
    .set({
      // The digest would be stale: syncs compare this user field by field until one finds it unchanged or updates it.
      ...(syncedFieldChanged ? { sync_digest: null } : {}),
      ...(patch.fullName !== undefined ? { full_name: patch.fullName } : {}),
      ...(patch.emailAddresses !== undefined ? { email_addresses: JSON.stringify(patch.emailAddresses) } : {}),
      ...(patch.authentication !== undefined ? { authentication: patch.authentication } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
      ...(patch.privileges !== undefined ? { privileges: JSON.stringify(patch.privileges) } : {}),
      ...(patch.archiveAccess !== undefined ? { archive_access: JSON.stringify(patch.archiveAccess) } : {}),
      ...(patch.dn !== undefined ? { dn: patch.dn } : {}),
      ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
      updated_at: new Date().toISOString(),
    })
    .where('user_name_key', '=', userNameKey(userName))
    .execute();
  if (patch.fullName !== undefined || patch.emailAddresses !== undefined) await refreshSearchText(db, [userNameKey(userName)]);
}

export async function countUsersBySource(db: Executor): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('users')
    .select(['source', db.fn.countAll<number>().as('count')])
    .groupBy('source')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.source, Number(row.count)]));
}

/**
 * "Keep" for a user pending deletion: it becomes a manual user (never touched by sync again), enabled and unmarked.
 * It keeps its authentication, so a directory user still logs on with the directory password.
 */
export async function convertToManualUser(db: Executor, userName: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ source: 'manual', disabled: 0, pending_deletion_since: null, sync_digest: null, updated_at: new Date().toISOString() })
    .where('user_name_key', '=', userNameKey(userName))
    .execute();
}
