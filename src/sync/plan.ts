/**
 * The pure heart of synchronization: directory snapshot + local users + settings → the list of changes, each
 * with its reason. No I/O: "Test settings" shows exactly what "Synchronize now" would commit.
 *
 * Matching: stable id, then DN, then user name (case-insensitive), among directory-sourced users only, so a
 * renamed or moved entry updates its user instead of creating a second one. Manual users are never touched.
 */
import type { DirectorySettings } from '../config/schema.js';
import type { DirectorySnapshot, DirectoryUser } from '../snapshot.js';
import { userNameKey, type LocalUser, type User } from '../model.js';
import { LocalIndex, localDnKey } from './local-index.js';
import { UnreadSubtrees, type ReportedReference } from './unread.js';
import { durationMs } from '../config/duration.js';
import { placeRemoval } from './plan-pending.js';

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
  /** The user's stable id after the update (the key of its change events). */
  stableId: string | null;
  changes: UserChanges;
  /** The user was pending deletion and is back in scope: unmarked (and enabled unless the directory disables it). */
  restored?: boolean;
  /** The user's sync digest after the update (src/digest.ts); null when the run computes none. */
  syncDigest: number | null;
}

export interface PlannedRemoval {
  userName: string;
  reason: string;
  stableId?: string | null;
  /** Marked pending by an earlier run, whose guard counted it then: not counted again. */
  wasPending?: boolean;
}

/** A user whose deletion options.deleteAfter holds back: disabled and marked from `since`, deleted at `deleteAt`. */
export interface PendingDeletion extends PlannedRemoval {
  /** When the user left the scope; null for a user this run marks when the plan was made without a clock. */
  since: string | null;
  deleteAt: string | null;
}

export interface SyncPlan {
  /** New users, complete with the default privileges they will get. */
  created: User[];
  /** The sync digest of each new user, by position in `created` (null when the run computes none). */
  createdDigests: Array<number | null>;
  updated: PlannedUpdate[];
  /**
   * Unchanged users whose stored digest is missing or stale (an administrator's edit, a login that stored a moved
   * entry's new DN): it is written again, so the next run recognizes them without loading them.
   */
  digestRefreshes: Array<{ userName: string; syncDigest: number }>;
  /** Users that left the scope and are deleted (options.deleteUsers on; after options.deleteAfter when set). */
  deleted: PlannedRemoval[];
  /** Users that left the scope in this run and wait for options.deleteAfter: disabled and marked now. */
  scheduled: PendingDeletion[];
  /** Users marked in an earlier run whose grace period has not passed yet (left as they are). */
  pending: PendingDeletion[];
  /** Users that left the scope and are kept (options.deleteUsers off). */
  outOfScope: PlannedRemoval[];
  /** Users not found whose entries may be in a subtree the read did not see: kept unchanged (sync/unread.ts). */
  keptUnread: PlannedRemoval[];
  /** The search continuation references met by the read, one per URL. */
  references: ReportedReference[];
  unchanged: number;
  /** Directory-sourced users before the run: the base of the deletion guard's percentage. */
  directoryUsersBefore: number;
  warnings: string[];
}

export type { LocalUser };

/** What the run knows from sync digests (src/digest.ts, sync/digest-match.ts). */
export interface KnownDigests {
  /** The sync digest of each snapshot user, by position. */
  of: Float64Array;
  /**
   * 1 at each snapshot user found unchanged by its digest (matchDigests). Their local users are left out of the
   * local users given to the planner: they are matched and unchanged, and their names are the entries' names.
   */
  unchanged?: Uint8Array;
  unchangedCount?: number;
  /**
   * Directory users in scope that neither the snapshot nor the local users list (an incremental run that planned
   * only the affected entries, sync/delta-run.ts): matched and unchanged. They count as unchanged and as directory
   * users before the run.
   */
  unlistedUnchanged?: number;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function diff(local: LocalUser, entry: DirectoryUser): UserChanges | undefined {
  const changes: UserChanges = {};
  if (local.userName !== entry.userName) changes.userName = { from: local.userName, to: entry.userName };
  if (local.fullName !== entry.fullName) changes.fullName = { from: local.fullName, to: entry.fullName };
  if (!sameList(local.emailAddresses, entry.emailAddresses)) changes.emailAddresses = { from: local.emailAddresses, to: entry.emailAddresses };
  if (local.dn !== entry.dn) changes.dn = { from: local.dn, to: entry.dn };
  if (local.disabled !== entry.disabled) changes.disabled = { from: local.disabled, to: entry.disabled };
  if (local.stableId !== entry.stableId) changes.stableId = { from: local.stableId, to: entry.stableId };
  return Object.keys(changes).length === 0 ? undefined : changes;
}

/** Default privileges, one copy shared by every user a run creates (User's lists are readonly). */
type Defaults = Pick<User, 'privileges' | 'archiveAccess'>;

function defaultsOf(settings: DirectorySettings): Defaults {
  return { privileges: [...settings.defaultPrivileges.privileges], archiveAccess: [...settings.defaultPrivileges.archiveAccess] };
}

function newUser(entry: DirectoryUser, defaults: Defaults): User {
  return {
    userName: entry.userName,
    fullName: entry.fullName,
    emailAddresses: entry.emailAddresses,
    source: 'directory',
    authentication: 'directory',
    disabled: entry.disabled,
    privileges: defaults.privileges,
    archiveAccess: defaults.archiveAccess,
    dn: entry.dn,
    stableId: entry.stableId,
  };
}

function isOutsideSelection(user: LocalUser, outside: Map<string, string>): boolean {
  const key = localDnKey(user);
  return (outside.get(user.stableId ?? '') ?? (key ? outside.get(key) : undefined)) !== undefined;
}

function removalReason(snapshot: DirectorySnapshot, outsideSelection: boolean, settings: DirectorySettings): string {
  if (outsideSelection) return `no longer in group ${settings.groups.groups.join(', ')}`;
  return settings.users.filter ? `no longer in the directory under ${snapshot.baseDn} matching ${settings.users.filter}` : `no longer in the directory under ${snapshot.baseDn}`;
}

/**
 * `now` is the run's time, given so the planner stays pure: it decides whose grace period has passed. Without it
 * (a plan made for display only) no grace period passes.
 */
/** A plan that changes nothing (a run refused before it could plan records these counts). */
export function emptyPlan(): SyncPlan {
  return {
    created: [],
    createdDigests: [],
    digestRefreshes: [],
    updated: [],
    deleted: [],
    scheduled: [],
    pending: [],
    outOfScope: [],
    keptUnread: [],
    references: [],
    unchanged: 0,
    directoryUsersBefore: 0,
    warnings: [],
  };
}

export function planSync(snapshot: DirectorySnapshot, localUsers: Iterable<LocalUser>, settings: DirectorySettings, digests?: KnownDigests, now?: Date): SyncPlan {
  const unchanged = digests?.unchanged;
  const index = new LocalIndex(localUsers, () => heldNames(snapshot.users, unchanged));
  const unlisted = digests?.unlistedUnchanged ?? 0;
  const plan: SyncPlan = {
    ...emptyPlan(),
    unchanged: unlisted,
    directoryUsersBefore: index.users.length + (digests?.unchangedCount ?? 0) + unlisted,
    warnings: [...snapshot.warnings],
  };
  const pendingUpdates: PendingUpdate[] = [];
  const defaults = defaultsOf(settings);
  const users = snapshot.users;
  for (let position = 0; position < users.length; position++) {
    if (unchanged?.[position] === 1) {
      plan.unchanged++;
      continue;
    }
    const entry = users[position]!;
    const digest = digests ? digests.of[position]! : null;
    const match = index.findMatch(entry);
    if (match !== undefined) {
      index.matched[match] = 1;
      const local = index.users[match]!;
      const changes = diff(local, entry);
      if (local.pendingDeletionSince) {
        // Back in scope before the grace period passed: the update unmarks it, even with nothing else to change.
        pendingUpdates.push({ local, changes: changes ?? {}, syncDigest: digest, restored: true });
        continue;
      }
      if (changes === undefined) {
        plan.unchanged++;
        if (digest !== null && local.syncDigest !== digest) plan.digestRefreshes.push({ userName: local.userName, syncDigest: digest });
      } else pendingUpdates.push({ local, changes, syncDigest: digest });
      continue;
    }
    const key = userNameKey(entry.userName);
    if (index.manualByName.has(key)) {
      plan.warnings.push(`directory user '${entry.userName}' (${entry.dn}) has the name of a manually created user; it was not created, and the manual user is left as it is`);
      continue;
    }
    if (index.byName.has(key) || (unchanged && index.heldByUnloaded(key))) {
      plan.warnings.push(`directory user '${entry.userName}' (${entry.dn}) has the name of another directory user that is still in scope; it was not created`);
      continue;
    }
    plan.created.push(newUser(entry, defaults));
    plan.createdDigests.push(digest);
  }
  planRemovals(plan, index, snapshot, settings, now);
  planUpdates(plan, pendingUpdates, index);
  return plan;
}

function heldNames(users: readonly DirectoryUser[], unchanged: Uint8Array | undefined): Set<string> {
  const names = new Set<string>();
  if (unchanged) users.forEach((user, position) => unchanged[position] === 1 && names.add(userNameKey(user.userName)));
  return names;
}

type PendingUpdate = { local: LocalUser; changes: UserChanges; syncDigest: number | null; restored?: boolean };

function planRemovals(plan: SyncPlan, index: LocalIndex, snapshot: DirectorySnapshot, settings: DirectorySettings, now: Date | undefined): void {
  const ambiguous = new Set(snapshot.ambiguousUserNames);
  const outside = new Map<string, string>();
  for (const user of snapshot.outsideSelection) {
    outside.set(user.stableId, user.userName);
    outside.set(user.dnKey, user.userName);
  }
  const unread = new UnreadSubtrees(snapshot.unreadSubtrees);
  index.users.forEach((user, position) => {
    if (index.matched[position] === 1) return;
    if (ambiguous.has(userNameKey(user.userName))) {
      plan.warnings.push(`user '${user.userName}' is kept unchanged: several directory entries carry that name`);
      return;
    }
    const outsideSelection = isOutsideSelection(user, outside);
    // Nothing is inferred about users Roster could not see: an unread subtree may still hold them.
    const kept = unread.isEmpty ? undefined : unread.keepReason(localDnKey(user), outsideSelection);
    if (kept !== undefined) {
      plan.keptUnread.push({ userName: user.userName, reason: kept });
      return;
    }
    const removal = { userName: user.userName, reason: removalReason(snapshot, outsideSelection, settings), stableId: user.stableId };
    if (!settings.options.deleteUsers) plan.outOfScope.push(removal);
    else placeRemoval(plan, removal, user.pendingDeletionSince ?? null, durationMs(settings.options.deleteAfter), now);
  });
  const { references, warnings } = unread.report();
  plan.references = references;
  plan.warnings.push(...warnings);
}

/** Renames are checked last, once it is known which names deletions free up. */
function planUpdates(plan: SyncPlan, pending: PendingUpdate[], index: LocalIndex): void {
  const freed = new Set(plan.deleted.map((removal) => userNameKey(removal.userName)));
  const renamedAway = new Set(pending.filter((update) => update.changes.userName).map((update) => userNameKey(update.local.userName)));
  const claimed = new Set<string>();
  for (const pendingUpdate of pending) {
    const { local, changes } = pendingUpdate;
    let syncDigest = pendingUpdate.syncDigest;
    if (changes.userName) {
      const target = userNameKey(changes.userName.to);
      const position = index.byName.get(target);
      const holder = position !== undefined ? index.users[position] : index.manualByName.get(target);
      // A user matched by its digest is unchanged, so it keeps its name: never freed, never renamed away.
      const occupied =
        index.heldByUnloaded(target) ||
        (holder !== undefined && holder !== local && !freed.has(target) && !(renamedAway.has(target) && position !== undefined && index.matched[position] === 1));
      if (occupied || claimed.has(target)) {
        plan.warnings.push(`user '${local.userName}' was renamed to '${changes.userName.to}' in the directory, but that name is taken by another user; the rename was skipped`);
        delete changes.userName;
        // The entry's digest has the new name, which the user will not have: stored, it would describe neither.
        syncDigest = null;
        if (Object.keys(changes).length === 0 && !pendingUpdate.restored) {
          plan.unchanged++;
          continue;
        }
      } else {
        claimed.add(target);
      }
    }
    plan.updated.push({
      userName: local.userName,
      stableId: changes.stableId?.to ?? local.stableId,
      changes,
      syncDigest,
      ...(pendingUpdate.restored ? { restored: true } : {}),
    });
  }
}
