import { createHash } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser } from '../snapshot.js';
import { userNameKey } from '../model.js';
import { insertMany } from './bulk.js';
import type { Executor } from './users.js';

const FINGERPRINT_KEY = 'groups-fingerprint';

/** A user's group keys joined. Most users are in one group: its key itself, with no string built per user. */
function joinedGroupKeys(list: readonly string[]): string {
  return list.length === 1 ? list[0]! : list.join('\u0000');
}

/** A digest of the groups and memberships read: when unchanged, the stored copy is not rewritten. */
export function groupsFingerprint(groups: DirectoryGroup[], users: DirectoryUser[]): string {
  const hash = createHash('sha256');
  for (const group of groups)
    hash.update(`${group.dnKey}\u0000${group.name}\u0000${group.description}\u0000${group.selected}\u0000${group.directUsers}\u0000${group.directGroups}\n`);
  // Fed a few hundred users at a time: one update() per user cost more in crossing into C++ than in hashing. The
  // pieces are joined once per chunk: concatenating them one by one made a rope node per piece (19 MB per sync).
  const parts: string[] = [];
  for (let index = 0; index < users.length; index++) {
    const user = users[index]!;
    parts.push(userNameKey(user.userName), '\u0000', joinedGroupKeys(user.groupKeys), '\n');
    if (index % 256 === 255) {
      hash.update(parts.join(''));
      parts.length = 0;
    }
  }
  hash.update(parts.join(''));
  return hash.digest('hex');
}

/** The users each group lists directly, by group key (a user's group keys are distinct: resolve.ts). */
function membersByGroup(users: DirectoryUser[]): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (let index = 0; index < users.length; index++) {
    const user = users[index]!;
    const userKey = userNameKey(user.userName);
    for (let g = 0; g < user.groupKeys.length; g++) {
      const list = members.get(user.groupKeys[g]!);
      if (list) list.push(userKey);
      else members.set(user.groupKeys[g]!, [userKey]);
    }
  }
  return members;
}

/**
 * Replaces the groups and their members "as last read", unless the fingerprint says nothing changed. A group is one
 * row with its members' user name keys in a list: a row per membership (100,000 of them) cost a first sync 0.3 s on
 * PostgreSQL and ~0.15 s on SQLite, for rows nothing looks up one by one.
 */
export async function replaceGroups(db: Executor, groups: DirectoryGroup[], users: DirectoryUser[]): Promise<boolean> {
  const fingerprint = groupsFingerprint(groups, users);
  const stored = await db.selectFrom('settings').select('value').where('key', '=', FINGERPRINT_KEY).executeTakeFirst();
  if (stored?.value === fingerprint) return false;
  await db.deleteFrom('groups').execute();
  const members = membersByGroup(users);
  await insertMany(
    db,
    'groups',
    groups.map((group) => groupRow({ ...group, members: JSON.stringify(members.get(group.dnKey) ?? []) })),
  );
  const now = new Date().toISOString();
  await db
    .insertInto('settings')
    .values({ key: FINGERPRINT_KEY, value: fingerprint, updated_at: now })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: fingerprint, updated_at: now }))
    .execute();
  return true;
}

export async function listGroups(db: Executor): Promise<Array<{ dn: string; name: string; description: string; selected: boolean; members: number }>> {
  const rows = await db.selectFrom('groups').selectAll().orderBy('name').execute();
  return rows.map((row) => ({ dn: row.dn, name: row.name, description: row.description, selected: row.selected === 1, members: row.direct_users + row.direct_groups }));
}

/** A row of the groups table as read and written by an incremental run that changes only some groups. */
export interface StoredGroup {
  readonly dnKey: string;
  readonly dn: string;
  readonly name: string;
  readonly description: string;
  readonly selected: boolean;
  readonly directUsers: number;
  readonly directGroups: number;
  /**
   * User name keys of the users in scope the group lists directly, as the table's JSON text: an incremental run
   * parses only the lists it changes (1,000 groups list 100,000 names).
   */
  readonly members: string;
}

/** A group's row in the groups table, whether a run writes all groups or only those it changed. */
function groupRow(group: StoredGroup) {
  return {
    dn_key: group.dnKey,
    dn: group.dn,
    name: group.name,
    description: group.description,
    selected: group.selected ? 1 : 0,
    direct_users: group.directUsers,
    direct_groups: group.directGroups,
    members: group.members,
  };
}

export async function loadGroups(db: Executor): Promise<Map<string, StoredGroup>> {
  const groups = new Map<string, StoredGroup>();
  for (const row of await db.selectFrom('groups').selectAll().execute()) {
    groups.set(row.dn_key, {
      dnKey: row.dn_key,
      dn: row.dn,
      name: row.name,
      description: row.description,
      selected: row.selected === 1,
      directUsers: row.direct_users,
      directGroups: row.direct_groups,
      members: row.members,
    });
  }
  return groups;
}

/**
 * Writes the groups an incremental run changed and removes those gone. The fingerprint of replaceGroups no longer
 * describes the table then: it is dropped, so that the next full run rewrites the table rather than trusting it.
 */
export async function updateGroups(db: Executor, changes: { readonly upserts: readonly StoredGroup[]; readonly deletes: readonly string[] }): Promise<void> {
  const keys = [...changes.deletes, ...changes.upserts.map((group) => group.dnKey)];
  if (keys.length === 0) return;
  for (let at = 0; at < keys.length; at += 500) {
    await db
      .deleteFrom('groups')
      .where('dn_key', 'in', keys.slice(at, at + 500))
      .execute();
  }
  await insertMany(db, 'groups', changes.upserts.map(groupRow));
  await db.deleteFrom('settings').where('key', '=', FINGERPRINT_KEY).execute();
}
