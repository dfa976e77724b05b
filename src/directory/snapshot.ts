/** What a directory read produces: plain data, no LDAP types, ready for the pure planner. */
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
  /** Normalized DNs of the groups read that list this user directly. */
  groupKeys: string[];
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
}

export interface ReadStatistics {
  userEntries: number;
  groupEntries: number;
  pages: number;
  /** Search continuation references passed over (AD returns them at a domain root). */
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
  outsideSelection: Array<{ dnKey: string; stableId: string; userName: string }>;
  /** Lower-cased names that two or more entries share: such users are neither created, updated nor deleted. */
  ambiguousUserNames: string[];
  warnings: string[];
  statistics: ReadStatistics;
}

export interface ReadProgress {
  phase: 'users' | 'groups' | 'members';
  entries: number;
}
