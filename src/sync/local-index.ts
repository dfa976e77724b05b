/**
 * The stored users as the planner finds them (plan.ts): by position, with the stable id, DN and name indexes built on
 * first use.
 */
import type { DirectoryUser } from '../snapshot.js';
import { userNameKey, type LocalUser } from '../model.js';
import { dnKey } from '../rfc/dn.js';

export function localDnKey(user: LocalUser): string | undefined {
  return user.dn ? dnKey(user.dn) : undefined;
}

/**
 * Local users by position; the maps hold positions, and `matched` marks the positions a directory entry took.
 * Stable ids are unique among directory users (each comes from one entry, and an entry matches one user).
 */
export class LocalIndex {
  readonly users: LocalUser[] = [];
  readonly manualByName = new Map<string, LocalUser>();
  private byStableIdMap: Map<string, number> | undefined;
  private byDnMap: Map<string, number> | undefined;
  private byNameMap: Map<string, number> | undefined;
  /** The position after the last match: where the next entry's user is when the directory kept its order. */
  private cursor = 0;
  matched: Uint8Array;

  constructor(
    localUsers: Iterable<LocalUser>,
    /** Names (lower-cased) of the directory users known matched and unchanged without being loaded. */
    private readonly heldNamesOf: () => Set<string>,
  ) {
    for (const user of localUsers) {
      if (user.source === 'manual') this.manualByName.set(userNameKey(user.userName), user);
      else this.users.push(user);
    }
    this.matched = new Uint8Array(this.users.length);
  }

  /** Positions by a key of each user (users without one are left out). */
  private positionsBy(keyOf: (user: LocalUser) => string | null | undefined): Map<string, number> {
    const map = new Map<string, number>();
    this.users.forEach((user, position) => {
      const key = keyOf(user);
      if (key) map.set(key, position);
    });
    return map;
  }

  // The three indexes are built on first use. On a re-sync of a directory that kept its order, entries are found at
  // the cursor and none is needed; decoding DNs costs, and names are needed only for renames, new users and removals.
  private get byStableId(): Map<string, number> {
    return (this.byStableIdMap ??= this.positionsBy((user) => user.stableId));
  }

  private get byDn(): Map<string, number> {
    return (this.byDnMap ??= this.positionsBy(localDnKey));
  }

  /** Directory users by normalized name; names are unique in the store, so it holds every directory user. */
  get byName(): Map<string, number> {
    return (this.byNameMap ??= this.positionsBy((user) => userNameKey(user.userName)));
  }

  private heldNamesSet: Set<string> | undefined;

  /** Whether a directory user matched by digest (not in `users`) holds the name. */
  heldByUnloaded(key: string): boolean {
    return (this.heldNamesSet ??= this.heldNamesOf()).has(key);
  }

  private free(position: number | undefined): number | undefined {
    return position !== undefined && this.matched[position] === 0 ? position : undefined;
  }

  /**
   * The first unmatched user with the entry's stable id, DN or name, in that order. Users are stored in the order a
   * first sync read them, and a server answers the same search in the same order, so the user at the cursor is
   * tried first: a no-change re-sync of 100,000 users then needs no map of stable ids at all.
   */
  findMatch(entry: DirectoryUser): number | undefined {
    const cursor = this.cursor;
    const position =
      cursor < this.users.length && this.matched[cursor] === 0 && this.users[cursor]!.stableId === entry.stableId
        ? cursor
        : (this.free(this.byStableId.get(entry.stableId)) ?? this.free(this.byDn.get(entry.dnKey)) ?? this.free(this.byName.get(userNameKey(entry.userName))));
    if (position !== undefined) this.cursor = position + 1;
    return position;
  }
}
