/**
 * What a directory read produces: plain data, no LDAP types, ready for the pure planner. Shared by directory/ (which
 * builds it), sync/ (which plans against it) and store/ (which records groups from it), hence at this level: the
 * store imports nothing from directory/ or sync/ (DESIGN §2).
 *
 * Invariants the readers rely on:
 * - a snapshot is complete for the subtrees it read: a read that failed anywhere produces no snapshot at all;
 * - `unreadSubtrees` lists every subtree a server referred elsewhere; entries there are simply absent, so nothing
 *   may be concluded about users whose DN lies in one of them;
 * - `users` have distinct user names (case-insensitively) and distinct stable ids.
 */
export interface DirectoryUser {
  dn: string;
  /** Normalized DN (rfc/dn.ts), the key for matching DNs however they were escaped. */
  dnKey: string;
  /** `objectGUID:...`, `entryUUID:...`, `nsUniqueId:...`, `ipaUniqueID:...`, or `dn:...` when the server has none. */
  stableId: string;
  userName: string;
  fullName: string;
  emailAddresses: string[];
  disabled: boolean;
  /**
   * Normalized DNs of the groups read that list this user directly, distinct. Read-only: users of one group share
   * one list (resolve.ts), so a list is replaced, never changed in place.
   */
  groupKeys: readonly string[];
}

export interface DirectoryGroup {
  dn: string;
  dnKey: string;
  name: string;
  description: string;
  /** Whether the group is part of the "Group" selection. */
  selected: boolean;
  /** Users listed directly (in the user filter's results). */
  directUsers: number;
  /** Groups listed directly (in the group filter's results). */
  directGroups: number;
  /** Users in scope through this group, directly or through nested groups (selected groups only). */
  usersInScope?: number;
  /** Normalized DNs of the groups read that this group lists directly (explain follows them to a user). */
  memberGroupKeys?: string[];
}

export interface ReadStatistics {
  userEntries: number;
  groupEntries: number;
  pages: number;
  /** Search continuation references met (each is also in DirectorySnapshot.unreadSubtrees). */
  references: number;
  durationMs: number;
}

export interface DirectorySnapshot {
  baseDn: string;
  server: string;
  /** Users in scope: matching the user filter and, with a group selection, members of a selected group. */
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  /**
   * Users that match the user filter but are outside the group selection: not synchronized, and the reason
   * a planner gives when it deletes (or keeps) them.
   */
  outsideSelection: Array<{ dnKey: string; stableId: string; userName: string; groupKeys?: readonly string[] }>;
  /** Lower-cased names that two or more entries share: such users are neither created, updated nor deleted. */
  ambiguousUserNames: string[];
  /** Subtrees the servers referred elsewhere (search continuation references): not read. */
  unreadSubtrees: UnreadSubtree[];
  warnings: string[];
  /** The kinds of `warnings` (directory/warnings.ts), in the order they first came. */
  warningKinds?: string[];
  /** Normalized member values of the groups read that designated no entry (each once). */
  unresolvedMemberKeys?: string[];
  statistics: ReadStatistics;
}

/** Which search of the read met a reference. */
export type ReferenceSearch = 'users' | 'groups' | 'members';

/** A search continuation reference (RFC 4511 §4.5.3): a subtree held by another server, which Roster did not read. */
export interface UnreadSubtree {
  /** The reference's LDAP URL as the server sent it. */
  url: string;
  /** The DN of the subtree (RFC 4516: the URL's DN part); the base DN when the URL names none (assume the worst). */
  subtree: string;
  /** Normalized `subtree` (rfc/dn.ts dnKey). */
  subtreeKey: string;
  /** False when the URL named no valid DN and `subtree` is the base DN by assumption. */
  subtreeKnown: boolean;
  search: ReferenceSearch;
  /** One of Active Directory's DNS or configuration partitions (directory/references.ts). */
  adPartition: boolean;
}

export interface ReadProgress {
  phase: 'users' | 'groups' | 'members';
  entries: number;
}
