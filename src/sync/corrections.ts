/**
 * What a periodic full run corrected: the users and groups whose content differs between the snapshot the change
 * tracking led to (an incremental read just before) and the full read. With tracking that reports every change,
 * both lists are empty; anything else is what the safety net caught (issue 14: "reports what it corrected").
 */
import type { DirectoryGroup, DirectorySnapshot, DirectoryUser } from '../directory/snapshot.js';

export interface Corrections {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

function userImage(user: DirectoryUser): string {
  return JSON.stringify([user.userName, user.fullName, user.emailAddresses, user.dnKey, user.disabled, [...user.groupKeys].sort()]);
}

function groupImage(group: DirectoryGroup): string {
  return JSON.stringify([group.name, group.description, group.selected, group.directUsers, group.directGroups, group.usersInScope ?? null]);
}

/** Names present in only one of the two lists, or with different content, sorted. */
function differing<T>(tracked: readonly T[], full: readonly T[], key: (item: T) => string, name: (item: T) => string, image: (item: T) => string): string[] {
  const before = new Map(tracked.map((item) => [key(item), item]));
  const names = new Set<string>();
  for (const item of full) {
    const previous = before.get(key(item));
    if (!previous || image(previous) !== image(item)) names.add(name(item));
    before.delete(key(item));
  }
  for (const item of before.values()) names.add(name(item));
  return [...names].sort();
}

export function correctionsOf(tracked: DirectorySnapshot, full: DirectorySnapshot): Corrections {
  return {
    users: differing(
      tracked.users,
      full.users,
      (user) => user.stableId,
      (user) => user.userName,
      userImage,
    ),
    groups: differing(
      tracked.groups,
      full.groups,
      (group) => group.dnKey,
      (group) => group.name,
      groupImage,
    ),
  };
}

export function correctionsWarning(corrections: Corrections): string | undefined {
  if (corrections.users.length === 0 && corrections.groups.length === 0) return undefined;
  const list = (names: readonly string[]) => names.slice(0, 20).join(', ') + (names.length > 20 ? ` and ${names.length - 20} more` : '');
  return `the periodic full run corrected what change tracking had missed: ${corrections.users.length} users (${list(corrections.users)}), ${corrections.groups.length} groups (${list(corrections.groups)})`;
}
