import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ArchiveAccess, Privilege } from '../config/schema.js';
import { syncedImage, userNameKey, type AuthenticationMethod, type LocalUser, type User, type UserSource } from '../model.js';
import { compiledOnce } from './compiled.js';
import type { Database, UsersTable } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

export interface StoredUser extends User {
  id: number;
}

type UserRow = Omit<Selectable<UsersTable>, 'password_hash' | 'created_at' | 'updated_at' | 'user_name_key' | 'synced_image'>;

/** A stored user as callers see it: without the row id. */
export function publicUser({ id: _id, ...user }: StoredUser): User {
  return user;
}

const sharedLists = new Map<string, readonly string[]>();

/** Privilege lists repeat across thousands of users: parse each distinct one once and share it (frozen). */
function sharedList<T extends string>(json: string): T[] {
  let list = sharedLists.get(json);
  if (!list) {
    list = Object.freeze(JSON.parse(json) as string[]);
    sharedLists.set(json, list);
  }
  return list as T[];
}

function toUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    userName: row.user_name,
    fullName: row.full_name,
    emailAddresses: JSON.parse(row.email_addresses) as string[],
    source: row.source as UserSource,
    authentication: row.authentication as AuthenticationMethod,
    disabled: row.disabled === 1,
    privileges: sharedList<Privilege>(row.privileges),
    archiveAccess: sharedList<ArchiveAccess>(row.archive_access),
    dn: row.dn,
    stableId: row.stable_id,
  };
}

const frozenListJson = new WeakMap<readonly string[], string>();

/** JSON of a list; the frozen lists a sync shares among all the users it creates are serialized once. */
function jsonOfList(list: readonly string[]): string {
  if (!Object.isFrozen(list)) return JSON.stringify(list);
  let json = frozenListJson.get(list);
  if (json === undefined) frozenListJson.set(list, (json = JSON.stringify(list)));
  return json;
}

export function userRow(user: User, now: string, passwordHash: string | null = null): Insertable<UsersTable> {
  return {
    user_name: user.userName,
    user_name_key: userNameKey(user.userName),
    full_name: user.fullName,
    email_addresses: JSON.stringify(user.emailAddresses),
    source: user.source,
    authentication: user.authentication,
    disabled: user.disabled ? 1 : 0,
    privileges: jsonOfList(user.privileges),
    archive_access: jsonOfList(user.archiveAccess),
    dn: user.dn,
    stable_id: user.stableId,
    synced_image: user.source === 'directory' ? syncedImage(user) : null,
    password_hash: passwordHash,
    created_at: now,
    updated_at: now,
  };
}

const USER_COLUMNS = ['id', 'user_name', 'full_name', 'email_addresses', 'source', 'authentication', 'disabled', 'privileges', 'archive_access', 'dn', 'stable_id'] as const;

export async function listUsers(db: Executor): Promise<StoredUser[]> {
  const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('user_name_key').execute();
  return rows.map(toUser);
}

/**
 * Every user as the planner needs it, in storage order (sorting 100,000 rows costs). Users with packed synced
 * fields (every directory user a sync wrote) are read as three short values, straight into the planner's shape;
 * the others with their fields.
 */
export async function usersForPlanning(db: Executor): Promise<LocalUser[]> {
  const packed = await db
    .selectFrom('users')
    .select(['user_name as userName', 'stable_id as stableId', 'synced_image as syncedImage'])
    .where('synced_image', 'is not', null)
    .orderBy('id')
    .execute();
  const unpacked = await db
    .selectFrom('users')
    .select(['user_name', 'source', 'stable_id', 'full_name', 'email_addresses', 'dn', 'disabled'])
    .where('synced_image', 'is', null)
    .orderBy('id')
    .execute();
  // Only directory users carry a packed image (userRow), so the rows need no source (LocalUser).
  const users: LocalUser[] = packed as Array<LocalUser & { syncedImage: string }>;
  for (const row of unpacked) {
    users.push({
      userName: row.user_name,
      source: row.source === 'manual' ? 'manual' : 'directory',
      stableId: row.stable_id,
      fullName: row.full_name,
      emailAddresses: JSON.parse(row.email_addresses) as string[],
      dn: row.dn,
      disabled: row.disabled === 1,
    });
  }
  return users;
}

export async function hasAnyUser(db: Executor): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

const userByKey = compiledOnce((db, key: string) => db.selectFrom('users').select(USER_COLUMNS).where('user_name_key', '=', key));

export async function findUser(db: Executor, userName: string): Promise<StoredUser | undefined> {
  const [row] = await userByKey(db, userNameKey(userName));
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
      // The packed copy would be stale: syncs compare this user field by field until one updates it and packs again.
      ...(syncedFieldChanged ? { synced_image: null } : {}),
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
}

export async function countUsersBySource(db: Executor): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('users')
    .select(['source', db.fn.countAll<number>().as('count')])
    .groupBy('source')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.source, Number(row.count)]));
}
