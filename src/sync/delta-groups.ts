/**
 * The groups after an incremental run that planned only the affected entries (directory/image-delta.ts): the
 * stored groups table and the last run's counts, plus what the affected entries add and remove.
 *
 * Why this equals a full run's groups: an entry outside the affected ones is listed by the same groups, keeps its
 * name and its scope (image-delta.ts's invariant), so its part of each count and member list is the stored one;
 * the affected entries' part before the refresh is taken out and their part after it put in.
 */
import type { AffectedEntry, EntryState } from '../directory/image-delta.js';
import { userNameKey } from '../model.js';
import type { DirectoryGroup } from '../snapshot.js';
import type { StoredGroup } from '../store/groups.js';

export interface CompletedGroups {
  /** Every group after the run, with its counts. */
  readonly groups: DirectoryGroup[];
  /** Rows of the groups table to write, and keys of rows to remove. */
  readonly upserts: StoredGroup[];
  readonly deletes: string[];
}

interface Tally {
  direct: number;
  inScope: number;
  removed: Set<string>;
  added: string[];
}

function tallies(affected: readonly AffectedEntry[]): Map<string, Tally> {
  const byGroup = new Map<string, Tally>();
  const tally = (key: string) => {
    let found = byGroup.get(key);
    if (!found) byGroup.set(key, (found = { direct: 0, inScope: 0, removed: new Set(), added: [] }));
    return found;
  };
  const count = (state: EntryState | undefined, sign: 1 | -1) => {
    if (!state) return;
    const name = userNameKey(state.user.userName);
    for (const key of state.user.groupKeys) {
      const group = tally(key);
      group.direct += sign;
      if (state.inScope) {
        if (sign < 0) group.removed.add(name);
        else group.added.push(name);
      }
    }
    for (const key of state.reachedBy) tally(key).inScope += sign;
  };
  for (const entry of affected) {
    count(entry.before, -1);
    count(entry.after, 1);
  }
  return byGroup;
}

/**
 * `groups` are the groups after the refresh with only the affected entries' counts (image-delta.ts);
 * `usersInScopeBefore` the last run's usersInScope of the groups selected then, by normalized DN.
 */
export function completeGroups(
  groups: readonly DirectoryGroup[],
  affected: readonly AffectedEntry[],
  stored: ReadonlyMap<string, StoredGroup>,
  usersInScopeBefore: ReadonlyMap<string, number>,
): CompletedGroups {
  const byGroup = tallies(affected);
  const completed: DirectoryGroup[] = [];
  const upserts: StoredGroup[] = [];
  for (const group of groups) {
    const before = stored.get(group.dnKey);
    const tally = byGroup.get(group.dnKey);
    const directUsers = (before?.directUsers ?? 0) + (tally?.direct ?? 0);
    const result: DirectoryGroup = { ...group, directUsers };
    if (group.selected) result.usersInScope = (usersInScopeBefore.get(group.dnKey) ?? 0) + (tally?.inScope ?? 0);
    completed.push(result);
    const membersBefore = before?.members ?? '[]';
    const members =
      tally && (tally.removed.size > 0 || tally.added.length > 0)
        ? JSON.stringify([...(JSON.parse(membersBefore) as string[]).filter((name) => !tally.removed.has(name)), ...tally.added])
        : membersBefore;
    const row: StoredGroup = {
      dnKey: group.dnKey,
      dn: group.dn,
      name: group.name,
      description: group.description,
      selected: group.selected,
      directUsers,
      directGroups: group.directGroups,
      members,
    };
    // A tally of usersInScope alone changes no row: the table does not keep that count.
    if (!before || members !== membersBefore || !sameScalars(before, row)) upserts.push(row);
  }
  const after = new Set(groups.map((group) => group.dnKey));
  const deletes = [...stored.keys()].filter((key) => !after.has(key));
  return { groups: completed, upserts, deletes };
}

function sameScalars(a: StoredGroup, b: StoredGroup): boolean {
  return a.dn === b.dn && a.name === b.name && a.description === b.description && a.selected === b.selected && a.directUsers === b.directUsers && a.directGroups === b.directGroups;
}
