/**
 * The pure heart of synchronization: directory snapshot + local users + settings → the list of changes, each
 * with its reason. No I/O: "Test settings" shows exactly what "Synchronize now" would commit.
 *
 * Matching: stable id, then DN, then user name (case-insensitive), among directory-sourced users only, so a
 * renamed or moved entry updates its user instead of creating a second one. Manual users are never touched.
 */
import type { DirectorySettings } from '../config/schema.js';
import type { DirectorySnapshot, DirectoryUser } from '../directory/snapshot.js';
import { userNameKey, type User } from '../model.js';
import { dnKey } from '../rfc/dn.js';

export interface FieldChange<T> {
  from: T;
  to: T;
}

export interface UserChanges {
  userName?: FieldChange<string>;
  fullName?: FieldChange<string>;
  emailAddresses?: FieldChange<string[]>;
  dn?: FieldChange<string | null>;
  disabled?: FieldChange<boolean>;
  stableId?: FieldChange<string | null>;
}

export interface PlannedUpdate {
  /** The user's name before the update (the key to find it). */
  userName: string;
  changes: UserChanges;
}

export interface PlannedRemoval {
  userName: string;
  reason: string;
}

export interface SyncPlan {
  /** New users, complete with the default privileges they will get. */
  created: User[];
  updated: PlannedUpdate[];
  /** Users that left the scope and are deleted (options.deleteUsers on). */
  deleted: PlannedRemoval[];
  /** Users that left the scope and are kept (options.deleteUsers off). */
  outOfScope: PlannedRemoval[];
  unchanged: number;
  /** Directory-sourced users before the run: the base of the deletion guard's percentage. */
  directoryUsersBefore: number;
  warnings: string[];
}

interface LocalIndex {
  byStableId: Map<string, User>;
  byDn: Map<string, User>;
  byName: Map<string, User>;
  manualByName: Map<string, User>;
}

/** A local user as the planner needs it; `dnKey` saves re-normalizing 100,000 stored DNs on every run. */
export type LocalUser = User & { dnKey?: string | null };

function localDnKey(user: LocalUser): string | undefined {
  if (user.dnKey) return user.dnKey;
  return user.dn ? dnKey(user.dn) : undefined;
}

function indexLocalUsers(localUsers: Iterable<LocalUser>): LocalIndex {
  const index: LocalIndex = { byStableId: new Map(), byDn: new Map(), byName: new Map(), manualByName: new Map() };
  for (const user of localUsers) {
    if (user.source === 'manual') {
      index.manualByName.set(userNameKey(user.userName), user);
      continue;
    }
    if (user.stableId) index.byStableId.set(user.stableId, user);
    const key = localDnKey(user);
    if (key) index.byDn.set(key, user);
    index.byName.set(userNameKey(user.userName), user);
  }
  return index;
}

function findMatch(index: LocalIndex, entry: DirectoryUser, taken: Set<User>): User | undefined {
  const candidates = [index.byStableId.get(entry.stableId), index.byDn.get(entry.dnKey), index.byName.get(userNameKey(entry.userName))];
  return candidates.find((candidate): candidate is User => candidate !== undefined && !taken.has(candidate));
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function diff(local: User, entry: DirectoryUser): UserChanges {
  const changes: UserChanges = {};
  if (local.userName !== entry.userName) changes.userName = { from: local.userName, to: entry.userName };
  if (local.fullName !== entry.fullName) changes.fullName = { from: local.fullName, to: entry.fullName };
  if (!sameList(local.emailAddresses, entry.emailAddresses)) changes.emailAddresses = { from: local.emailAddresses, to: entry.emailAddresses };
  if (local.dn !== entry.dn) changes.dn = { from: local.dn, to: entry.dn };
  if (local.disabled !== entry.disabled) changes.disabled = { from: local.disabled, to: entry.disabled };
  if (local.stableId !== entry.stableId) changes.stableId = { from: local.stableId, to: entry.stableId };
  return changes;
}

function newUser(entry: DirectoryUser, settings: DirectorySettings): User {
  return {
    userName: entry.userName,
    fullName: entry.fullName,
    emailAddresses: entry.emailAddresses,
    source: 'directory',
    authentication: 'directory',
    disabled: entry.disabled,
    privileges: [...settings.defaultPrivileges.privileges],
    archiveAccess: [...settings.defaultPrivileges.archiveAccess],
    dn: entry.dn,
    stableId: entry.stableId,
  };
}

function removalReason(user: User, snapshot: DirectorySnapshot, outside: Map<string, string>, settings: DirectorySettings): string {
  const key = localDnKey(user);
  const name = outside.get(user.stableId ?? '') ?? (key ? outside.get(key) : undefined);
  if (name !== undefined) return `no longer in group ${settings.groups.groups.join(', ')}`;
  return settings.users.filter ? `no longer in the directory under ${snapshot.baseDn} matching ${settings.users.filter}` : `no longer in the directory under ${snapshot.baseDn}`;
}

export function planSync(snapshot: DirectorySnapshot, localUsers: Iterable<LocalUser>, settings: DirectorySettings): SyncPlan {
  const index = indexLocalUsers(localUsers);
  const plan: SyncPlan = { created: [], updated: [], deleted: [], outOfScope: [], unchanged: 0, directoryUsersBefore: index.byName.size, warnings: [...snapshot.warnings] };
  const matched = new Set<User>();
  const pendingUpdates: Array<{ local: User; changes: UserChanges }> = [];
  for (const entry of snapshot.users) {
    const local = findMatch(index, entry, matched);
    if (local) {
      matched.add(local);
      const changes = diff(local, entry);
      if (Object.keys(changes).length === 0) plan.unchanged++;
      else pendingUpdates.push({ local, changes });
      continue;
    }
    const key = userNameKey(entry.userName);
    if (index.manualByName.has(key)) {
      plan.warnings.push(`directory user '${entry.userName}' (${entry.dn}) has the name of a manually created user; it was not created, and the manual user is left as it is`);
      continue;
    }
    if (index.byName.has(key)) {
      plan.warnings.push(`directory user '${entry.userName}' (${entry.dn}) has the name of another directory user that is still in scope; it was not created`);
      continue;
    }
    plan.created.push(newUser(entry, settings));
  }
  planRemovals(plan, index, matched, snapshot, settings);
  planUpdates(plan, pendingUpdates, index, matched);
  return plan;
}

function planRemovals(plan: SyncPlan, index: LocalIndex, matched: Set<User>, snapshot: DirectorySnapshot, settings: DirectorySettings): void {
  const ambiguous = new Set(snapshot.ambiguousUserNames);
  const outside = new Map<string, string>();
  for (const user of snapshot.outsideSelection) {
    outside.set(user.stableId, user.userName);
    outside.set(user.dnKey, user.userName);
  }
  for (const user of index.byName.values()) {
    if (matched.has(user)) continue;
    if (ambiguous.has(userNameKey(user.userName))) {
      plan.warnings.push(`user '${user.userName}' is kept unchanged: several directory entries carry that name`);
      continue;
    }
    const removal = { userName: user.userName, reason: removalReason(user, snapshot, outside, settings) };
    (settings.options.deleteUsers ? plan.deleted : plan.outOfScope).push(removal);
  }
}

/** Renames are checked last, once it is known which names deletions free up. */
function planUpdates(plan: SyncPlan, pending: Array<{ local: User; changes: UserChanges }>, index: LocalIndex, matched: Set<User>): void {
  const freed = new Set(plan.deleted.map((removal) => userNameKey(removal.userName)));
  const renamedAway = new Set(pending.filter((update) => update.changes.userName).map((update) => userNameKey(update.local.userName)));
  const claimed = new Set<string>();
  for (const { local, changes } of pending) {
    if (changes.userName) {
      const target = userNameKey(changes.userName.to);
      const holder = index.byName.get(target) ?? index.manualByName.get(target);
      const occupied = holder !== undefined && holder !== local && !freed.has(target) && !(renamedAway.has(target) && matched.has(holder));
      if (occupied || claimed.has(target)) {
        plan.warnings.push(`user '${local.userName}' was renamed to '${changes.userName.to}' in the directory, but that name is taken by another user; the rename was skipped`);
        delete changes.userName;
        if (Object.keys(changes).length === 0) {
          plan.unchanged++;
          continue;
        }
      } else {
        claimed.add(target);
      }
    }
    plan.updated.push({ userName: local.userName, changes });
  }
}
