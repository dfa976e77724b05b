/**
 * Planning an incremental run against only the affected entries (directory/image-delta.ts) and the stored users
 * they can reach, with the planner's own rules (plan.ts): nothing of them is repeated here.
 *
 * It rests on the last run having left Roster's directory users exactly as the image's users in scope, one user
 * per entry, equal field by field. read-for-run.ts asks for this path only then (deltaPreconditions): the last
 * run committed without a warning, out-of-scope or kept user and without references, no user waits for deletion,
 * and nobody changed a user since (the users' mark). The checks here confirm it on the users loaded; any doubt
 * answers `{ fallBack }`, and the run computes the whole image instead.
 */
import type { DirectorySettings } from '../config/schema.js';
import type { ImageDelta } from '../directory/image-delta.js';
import { userNameKey } from '../model.js';
import { dnKey } from '../rfc/dn.js';
import type { DirectorySnapshot } from '../snapshot.js';
import { loadGroups } from '../store/groups.js';
import { countDirectoryUsers, loadDigestSeed, usersForPlanningByKeys, type Executor } from '../store/users.js';
import { trace } from '../trace.js';
import { completeGroups, type CompletedGroups } from './delta-groups.js';
import { digestsOf } from './digest-match.js';
import { planSync, type SyncPlan } from './plan.js';
import type { RunSummary } from './unchanged-run.js';

export interface DeltaPlan {
  readonly plan: SyncPlan;
  /** The snapshot with its groups' counts completed; its users are still only the affected ones. */
  readonly snapshot: DirectorySnapshot;
  /** Directory users in scope after the run, affected or not: what the guards count. */
  readonly usersInScope: number;
  readonly groups: Pick<CompletedGroups, 'upserts' | 'deletes'>;
}

export type DeltaPlanOutcome = DeltaPlan | { readonly fallBack: string };

/** Why the last run's state does not allow the delta path, or undefined when it does. */
export function deltaPreconditions(summary: RunSummary, usersUnchangedSince: boolean, pendingDeletions: boolean): string | undefined {
  if (!usersUnchangedSince) return 'users were changed since the last run';
  if (pendingDeletions) return 'users wait for their deletion';
  if (!summary.unresolvedMemberKeys) return 'the last run had warnings other than unresolved members';
  if (summary.outOfScope.length > 0 || summary.keptUnread.length > 0) return 'the last run kept users out of scope';
  if (summary.references.length > 0) return 'the last run met references';
  return undefined;
}

export async function planDelta(
  db: Executor,
  snapshot: DirectorySnapshot,
  delta: ImageDelta,
  summary: RunSummary,
  settings: DirectorySettings,
  now: Date,
): Promise<DeltaPlanOutcome> {
  const inScopeBefore = new Set<string>();
  const stableIds = new Set<string>();
  const nameKeys = new Set<string>();
  for (const { before, after } of delta.affected) {
    if (before?.inScope) inScopeBefore.add(before.user.stableId);
    for (const state of [before, after]) {
      if (!state) continue;
      stableIds.add(state.user.stableId);
      nameKeys.add(userNameKey(state.user.userName));
    }
  }
  const local = await usersForPlanningByKeys(db, { stableIds: [...stableIds], nameKeys: [...nameKeys] });
  const directoryUsers = await countDirectoryUsers(db);
  trace('affected users loaded');
  // Each affected entry in scope before has its user, and no other directory user was loaded: a name taken by a
  // user outside the affected ones would make the full run's answer depend on that user.
  let loadedDirectoryUsers = 0;
  for (const user of local) {
    if (user.source === 'manual') continue;
    if (user.stableId === null || !inScopeBefore.has(user.stableId)) return { fallBack: 'a change reaches a user outside the affected entries' };
    loadedDirectoryUsers++;
  }
  if (loadedDirectoryUsers !== inScopeBefore.size || directoryUsers !== summary.usersInScope) return { fallBack: 'the stored users differ from the image' };
  const seed = await loadDigestSeed(db);
  if (!seed) return { fallBack: 'no digest seed' };
  const unlistedUnchanged = directoryUsers - loadedDirectoryUsers;
  const plan = planSync(snapshot, local, settings, { of: digestsOf(snapshot.users, seed), unlistedUnchanged }, now);
  const usersInScopeBefore = new Map<string, number>();
  for (const group of summary.groups) if (group.selected) usersInScopeBefore.set(dnKey(group.dn), group.members);
  const completed = completeGroups(snapshot.groups, delta.affected, await loadGroups(db), usersInScopeBefore);
  trace('planned (affected entries only)');
  return {
    plan,
    snapshot: {
      ...snapshot,
      groups: completed.groups,
      statistics: { ...snapshot.statistics, userEntries: summary.directory.userEntries + delta.userEntriesAdded },
    },
    usersInScope: unlistedUnchanged + snapshot.users.length,
    groups: { upserts: completed.upserts, deletes: completed.deletes },
  };
}
