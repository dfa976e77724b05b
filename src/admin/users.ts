/** Managing users (the manual's "Users and Privileges"): shared by the CLI and the API. */
import * as z from 'zod';
import { checkNewPassword, hashPassword } from '../auth/passwords.js';
import { ARCHIVE_ACCESS, PRIVILEGES } from '../config/schema.js';
import { issuesFrom } from '../config/load.js';
import { RosterError } from '../errors.js';
import { userNameKey, type User } from '../model.js';
import { appendEvents } from '../store/events.js';
import { deleteSessionsOf } from '../store/sessions.js';
import { changeEvents, createdEvent, deletedEvent } from './user-events.js';
import type { Store } from '../store/store.js';
import { eachUser, findUserPage, type UserFilter } from '../store/user-pages.js';
import { countUsersBySource, deleteUser, findUser, insertUser, publicUser, updateUser } from '../store/users.js';

export { publicUser };

const userName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'at most 256 characters')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
const email = z
  .string()
  .trim()
  .regex(/^[^\s@,;<>"]+@[^\s@,;<>"]+$/, 'not an e-mail address');

export const newUserSchema = z
  .object({
    userName,
    fullName: z.string().trim().max(512).default(''),
    emailAddresses: z.array(email).default([]),
    authentication: z.enum(['local', 'directory']).default('local'),
    password: z.string().optional(),
    privileges: z.array(z.enum(PRIVILEGES)).default(['login']),
    archiveAccess: z.array(z.enum(ARCHIVE_ACCESS)).default(['read']),
    disabled: z.boolean().default(false),
  })
  .strict();

export const userPatchSchema = z
  .object({
    fullName: z.string().trim().max(512).optional(),
    emailAddresses: z.array(email).optional(),
    authentication: z.enum(['local', 'directory']).optional(),
    password: z.string().optional(),
    privileges: z.array(z.enum(PRIVILEGES)).optional(),
    archiveAccess: z.array(z.enum(ARCHIVE_ACCESS)).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const details = issuesFrom(result.error);
    throw new RosterError('INPUT_INVALID', `Invalid input: ${details.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { details });
  }
  return result.data;
}

function unique(addresses: string[]): string[] {
  return [...new Map(addresses.map((address) => [address.toLowerCase(), address])).values()];
}

/** Page sizes of user lists (DESIGN §5): 100 unless asked, at most 1,000. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const booleanText = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);

/** The query of a user list (API query string, console form): every field optional, each checked by name. */
export const userListQuerySchema = z
  .object({
    q: z
      .string()
      .max(256, 'at most 256 characters')
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
      .optional(),
    source: z.enum(['directory', 'manual']).optional(),
    authentication: z.enum(['directory', 'local']).optional(),
    disabled: booleanText.optional(),
    limit: z.coerce.number().int('must be a whole number').min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    after: z.string().max(1024).optional(),
  })
  .strict();

export type UserListQuery = z.output<typeof userListQuerySchema>;

export interface UserListPage {
  readonly users: User[];
  readonly total: number;
  /** The `after` of the next page; absent on the last. */
  readonly next?: string;
}

/** One page of users, filtered and searched by the database, ordered by name (store/user-pages.ts). */
export async function listUserPage(store: Store, input: unknown): Promise<UserListPage & { query: UserListQuery }> {
  const query = parse(userListQuerySchema, emptyAsAbsent(input));
  const page = await findUserPage(store.db, query);
  return { users: page.users.map(publicUser), total: page.total, ...(page.next !== undefined ? { next: page.next } : {}), query };
}

/** Every matching user, ordered by name, read a page at a time: for output that streams (the CLI's list). */
export async function* streamUsers(store: Store, filter: UserFilter = {}): AsyncGenerator<User> {
  for await (const user of eachUser(store.db, filter)) yield publicUser(user);
}

/** A form or query string sends empty fields for "any": they are absent, not invalid. */
function emptyAsAbsent(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input ?? {};
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== '' && value !== undefined));
}

/** One user; NOT_FOUND when there is none by that name (compared case-insensitively). */
export async function getUser(store: Store, name: string): Promise<User> {
  const user = await findUser(store.db, name);
  if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
  return publicUser(user);
}

/** How many users each source has (the metrics; the health check's database probe). */
export async function userCountsBySource(store: Store): Promise<Record<string, number>> {
  return countUsersBySource(store.db);
}

/** One user, or undefined. */
export async function findUserByName(store: Store, name: string): Promise<User | undefined> {
  const user = await findUser(store.db, name);
  return user ? publicUser(user) : undefined;
}

export async function createManualUser(store: Store, input: unknown, actor = 'admin'): Promise<User> {
  const data = parse(newUserSchema, input);
  let passwordHash: string | null = null;
  if (data.authentication === 'local') {
    if (data.password === undefined)
      throw new RosterError('INPUT_INVALID', 'password: required for local authentication', { details: [{ path: 'password', message: 'required for local authentication' }] });
    checkNewPassword(data.password);
    passwordHash = await hashPassword(data.password);
  }
  if (await findUser(store.db, data.userName)) throw new RosterError('CONFLICT', `A user named '${data.userName}' exists already (names are compared case-insensitively).`);
  const user: User = {
    userName: data.userName,
    fullName: data.fullName,
    emailAddresses: unique(data.emailAddresses),
    source: 'manual',
    authentication: data.authentication,
    disabled: data.disabled,
    privileges: data.privileges,
    archiveAccess: data.archiveAccess,
    dn: null,
    stableId: null,
  };
  await store.db.transaction().execute(async (trx) => {
    await insertUser(trx, user, passwordHash);
    await appendEvents(trx, [createdEvent(user)], actor);
  });
  return user;
}

/**
 * Changes a user. Privileges, archive access, authentication, disabled and the local password may change for
 * everyone; names and addresses of directory users belong to the directory (the next sync would undo them).
 */
export async function changeUser(store: Store, name: string, input: unknown, actingUser?: string, actor = actingUser ? `admin:${actingUser}` : 'admin'): Promise<User> {
  const patch = parse(userPatchSchema, input);
  const user = await findUser(store.db, name);
  if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
  if (actingUser !== undefined && userNameKey(actingUser) === userNameKey(user.userName)) refuseSelfLockout(user, patch);
  if (user.source === 'directory' && (patch.fullName !== undefined || patch.emailAddresses !== undefined)) {
    throw new RosterError('INPUT_INVALID', 'fullName and emailAddresses of a directory user come from the directory', {
      details: [{ path: patch.fullName !== undefined ? 'fullName' : 'emailAddresses', message: 'comes from the directory' }],
    });
  }
  let passwordHash: string | undefined;
  if (patch.password !== undefined) {
    checkNewPassword(patch.password);
    passwordHash = await hashPassword(patch.password);
  }
  const userPatch = {
    fullName: patch.fullName,
    emailAddresses: patch.emailAddresses ? unique(patch.emailAddresses) : undefined,
    authentication: patch.authentication,
    privileges: patch.privileges,
    archiveAccess: patch.archiveAccess,
    disabled: patch.disabled,
    passwordHash,
  };
  await store.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.userName, userPatch);
    if (patch.disabled || patch.password !== undefined || (patch.privileges && !patch.privileges.includes('login'))) await deleteSessionsOf(trx, user.id);
    await appendEvents(trx, changeEvents(user, userPatch), actor);
  });
  return publicUser((await findUser(store.db, user.userName))!);
}

/**
 * An administrator locking themselves out is almost always a slip; another administrator can do it. Out means:
 * disabled, without `admin` or `login` (issue #12), or logging on another way than the one that works now.
 */
function refuseSelfLockout(user: User, patch: z.infer<typeof userPatchSchema>): void {
  const lost = patch.privileges ? (['admin', 'login'] as const).filter((privilege) => !patch.privileges!.includes(privilege)) : [];
  if (patch.disabled || lost.length > 0) throw new RosterError('CONFLICT', `You cannot disable yourself or remove your own ${lost.join(' or ') || 'admin'} privilege.`);
  if (patch.authentication !== undefined && patch.authentication !== user.authentication)
    throw new RosterError('CONFLICT', 'You cannot switch your own authentication: you could not log on again if the other way does not work for you.');
}

export async function removeUser(store: Store, name: string, actor = 'admin'): Promise<void> {
  const user = await findUser(store.db, name);
  if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
  await store.db.transaction().execute(async (trx) => {
    await deleteSessionsOf(trx, user.id);
    await deleteUser(trx, user.userName);
    await appendEvents(trx, [deletedEvent(user, 'deleted by an administrator')], actor);
  });
}
