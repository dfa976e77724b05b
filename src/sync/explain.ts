/**
 * "Why is this user (not) synchronized?" (issue #13), answered from what a synchronization would see now: the
 * entries resembling the name (directory/lookup.ts), the directory read and the plan (the same as "Test
 * settings"), and the stored user. Pure: no I/O.
 */
import type { NameLookup } from '../directory/lookup.js';
import type { DirectoryGroup, DirectorySnapshot } from '../directory/snapshot.js';
import type { User } from '../model.js';
import type { SyncPlan, UserChanges } from './plan.js';

export type ExplainedAction = 'create' | 'update' | 'delete' | 'keep-out-of-scope' | 'nothing';

export interface GroupPath {
  /** The selected group first, then each nested group down to the one listing the user. */
  readonly path: string[];
}

export interface Explanation {
  readonly name: string;
  readonly stored: Pick<User, 'userName' | 'source' | 'authentication' | 'disabled'> | null;
  /** Entries whose attributes resemble the name, with whether the user filter matches each. */
  readonly candidates: NameLookup['candidates'];
  readonly candidatesTruncated: boolean;
  /** The entry a synchronization takes as this user (in scope, or matching the filter outside the selection). */
  readonly entry: { dn: string; inScope: boolean; disabled: boolean | null } | null;
  readonly groups: {
    readonly selection: string[];
    /** The groups that list the entry directly. */
    readonly direct: string[];
    /** How the entry reaches each selected group it reaches. */
    readonly reached: GroupPath[];
  };
  readonly action: ExplainedAction;
  readonly changes?: UserChanges;
  readonly reason: string;
  readonly warnings: string[];
}

function key(name: string): string {
  return name.trim().toLowerCase();
}

/** Paths from each selected group through nested groups to a group in `direct` (breadth first: the shortest). */
function pathsToSelection(groups: readonly DirectoryGroup[], direct: ReadonlySet<string>): GroupPath[] {
  const byKey = new Map(groups.map((group) => [group.dnKey, group]));
  const paths: GroupPath[] = [];
  for (const selected of groups.filter((group) => group.selected)) {
    const previous = new Map<string, string | null>([[selected.dnKey, null]]);
    const queue = [selected.dnKey];
    let found: string | undefined;
    while (queue.length > 0 && found === undefined) {
      const current = queue.shift()!;
      if (direct.has(current)) found = current;
      for (const nested of byKey.get(current)?.memberGroupKeys ?? []) {
        if (!previous.has(nested)) {
          previous.set(nested, current);
          queue.push(nested);
        }
      }
    }
    if (found === undefined) continue;
    const path: string[] = [];
    for (let at: string | null | undefined = found; at; at = previous.get(at)) path.unshift(byKey.get(at)?.name ?? at);
    paths.push({ path });
  }
  return paths;
}

function plannedAction(plan: SyncPlan, name: string): Pick<Explanation, 'action' | 'changes'> & { reason?: string } {
  const wanted = key(name);
  if (plan.created.some((user) => key(user.userName) === wanted)) return { action: 'create' };
  const update = plan.updated.find((candidate) => key(candidate.userName) === wanted || key(candidate.changes.userName?.to ?? '') === wanted);
  if (update) return { action: 'update', changes: update.changes };
  const deleted = plan.deleted.find((removal) => key(removal.userName) === wanted);
  if (deleted) return { action: 'delete', reason: deleted.reason };
  const scheduled = plan.scheduled.find((removal) => key(removal.userName) === wanted);
  if (scheduled)
    return {
      action: 'delete',
      reason: `${scheduled.reason}; disabled now and deleted after the grace period (options.deleteAfter)${scheduled.deleteAt ? `, on ${scheduled.deleteAt}` : ''}`,
    };
  const pending = plan.pending.find((removal) => key(removal.userName) === wanted);
  if (pending)
    return {
      action: 'delete',
      reason: `${pending.reason}; disabled and pending deletion since ${pending.since ?? 'this run'}${pending.deleteAt ? `, deleted on ${pending.deleteAt}` : ''}`,
    };
  const unread = plan.keptUnread.find((removal) => key(removal.userName) === wanted);
  if (unread) return { action: 'nothing', reason: unread.reason };
  const kept = plan.outOfScope.find((removal) => key(removal.userName) === wanted);
  if (kept) return { action: 'keep-out-of-scope', reason: kept.reason };
  return { action: 'nothing' };
}

/** Why nothing happens to the name, when the plan does nothing with it. */
function whyNothing(explanation: Omit<Explanation, 'reason'>, ambiguous: boolean): string {
  const { stored, entry, candidates, groups } = explanation;
  if (ambiguous) return 'several entries in scope have this user name, so none of them is synchronized';
  if (stored?.source === 'manual') return 'a manual user has this name: synchronizations never change manual users';
  if (entry?.inScope) return stored ? 'the user is in scope and already up to date' : 'the user is in scope';
  if (entry && !entry.inScope) {
    return groups.direct.length
      ? `the entry matches the user filter but none of its groups (${groups.direct.join(', ')}) is, or is nested in, a selected group (${groups.selection.join(', ')})`
      : `the entry matches the user filter but is in no group that was read, so it reaches no selected group (${groups.selection.join(', ')})`;
  }
  const named = candidates.filter((candidate) => key(candidate.userName) === key(explanation.name));
  if (named.some((candidate) => !candidate.matchesUserFilter)) return 'an entry has this user name but does not match the user filter';
  if (candidates.length) return 'no entry has this user name; the entries listed resemble it (another attribute, case or local part)';
  return 'no entry in the directory has this name';
}

export function explainName(name: string, lookup: NameLookup, snapshot: DirectorySnapshot, plan: SyncPlan, stored: User | undefined): Explanation {
  const wanted = key(name);
  const inScope = snapshot.users.find((user) => key(user.userName) === wanted);
  const outside = inScope ? undefined : snapshot.outsideSelection.find((user) => key(user.userName) === wanted);
  const outsideCandidate = outside ? lookup.candidates.find((candidate) => candidate.dnKey === outside.dnKey) : undefined;
  const entry = inScope
    ? { dn: inScope.dn, inScope: true, disabled: inScope.disabled }
    : outside
      ? { dn: outsideCandidate?.dn ?? outside.dnKey, inScope: false, disabled: null }
      : null;
  const directKeys = new Set(inScope?.groupKeys ?? outside?.groupKeys ?? []);
  const groupName = new Map(snapshot.groups.map((group) => [group.dnKey, group.name]));
  const selection = snapshot.groups.filter((group) => group.selected).map((group) => group.name);
  const planned = plannedAction(plan, name);
  const dnKeys = [inScope?.dn, outsideCandidate?.dn].filter((dn): dn is string => Boolean(dn)).map((dn) => dn.toLowerCase());
  const warnings = plan.warnings.filter((warning) => {
    const lower = warning.toLowerCase();
    return lower.includes(`'${wanted}'`) || dnKeys.some((dn) => lower.includes(dn));
  });
  const partial: Omit<Explanation, 'reason'> = {
    name,
    stored: stored ? { userName: stored.userName, source: stored.source, authentication: stored.authentication, disabled: stored.disabled } : null,
    candidates: lookup.candidates,
    candidatesTruncated: lookup.truncated,
    entry,
    groups: { selection, direct: [...directKeys].map((dnKey) => groupName.get(dnKey) ?? dnKey), reached: pathsToSelection(snapshot.groups, directKeys) },
    action: planned.action,
    ...(planned.changes ? { changes: planned.changes } : {}),
    warnings,
  };
  const reason =
    planned.reason ??
    (planned.action === 'create'
      ? 'the entry is in scope and Roster has no user by this name'
      : planned.action === 'update'
        ? 'the entry is in scope and differs from the stored user'
        : whyNothing(partial, snapshot.ambiguousUserNames.includes(wanted)));
  return { ...partial, reason };
}
