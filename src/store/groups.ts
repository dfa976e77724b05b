import { createHash } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser } from '../directory/snapshot.js';
import { userNameKey } from '../model.js';
import { insertMany } from './bulk.js';
import type { Executor } from './users.js';

const FINGERPRINT_KEY = 'groups-fingerprint';

const joinedLists = new WeakMap<readonly string[], string>();

/** A user's group keys joined; the lists shared by every user of one group (resolve.ts) are joined once. */
function joinedGroupKeys(list: readonly string[]): string {
  if (!Object.isFrozen(list)) return list.join('\u0000');
  let joined = joinedLists.get(list);
  if (joined === undefined) joinedLists.set(list, (joined = list.join('\u0000')));
  return joined;
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

/** A user's group keys are distinct (resolve.ts lists a user once per group), so the rows are too. */
function* memberships(users: DirectoryUser[]) {
  for (const user of users) {
    const userKey = userNameKey(user.userName);
    for (let index = 0; index < user.groupKeys.length; index++) yield { group_dn_key: user.groupKeys[index]!, user_name_key: userKey };
  }
}

/**
 * Replaces the groups and memberships "as last read", unless the fingerprint says nothing changed. The rows are
 * unique without checking: a group is one directory entry (one DN), and the snapshot's users have distinct names
 * (resolve.ts withholds names shared by several entries), each listing a group once.
 */
export async function replaceGroups(db: Executor, groups: DirectoryGroup[], users: DirectoryUser[]): Promise<boolean> {
  const fingerprint = groupsFingerprint(groups, users);
  const stored = await db.selectFrom('settings').select('value').where('key', '=', FINGERPRINT_KEY).executeTakeFirst();
  if (stored?.value === fingerprint) return false;
  await db.deleteFrom('group_members').execute();
  await db.deleteFrom('groups').execute();
  await insertMany(
    db,
    'groups',
    groups.map((group) => ({
      dn_key: group.dnKey,
      dn: group.dn,
      name: group.name,
      description: group.description,
      selected: group.selected ? 1 : 0,
      direct_users: group.directUsers,
      direct_groups: group.directGroups,
    })),
  );
  await insertMany(db, 'group_members', memberships(users));
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
