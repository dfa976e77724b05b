/**
 * A run that found nothing changed: the directory reported no change since the cookie, and Roster's users are as
 * the last run left them (store/change-tracking.ts: localUsersMark), so a full run would create, update and delete
 * nobody. It records itself and answers with the last run's summary (scope, groups, warnings) instead of loading
 * and planning every user, which is what makes a no-change run cheap (issue 14: under 50 ms inside `roster serve`).
 */
import type { DirectorySnapshot } from '../snapshot.js';
import type { RunCounts } from '../store/runs.js';
import type { SyncPlan } from './plan.js';
import type { SyncReport } from './report.js';

/** What the next unchanged run reports, written with each committed tracked run. */
export interface RunSummary {
  /** Directory users in scope after the run: what an unchanged run counts as unchanged. */
  readonly usersInScope: number;
  readonly outOfScope: SyncReport['users']['outOfScope'];
  readonly keptUnread: SyncReport['users']['keptUnread'];
  readonly references: SyncReport['references'];
  readonly groups: SyncReport['groups'];
  readonly warnings: readonly string[];
  readonly directory: Omit<SyncReport['directory'], 'pages' | 'readMs'>;
  /**
   * The normalized member values that designated no entry, kept only when they gave every warning of the run: the
   * next incremental run can then compute its warnings from the affected entries alone (directory/image-delta.ts).
   */
  readonly unresolvedMemberKeys?: readonly string[];
}

/** Whether every warning of the run came from a member value that designated no entry. */
function onlyUnresolvedMembers(plan: SyncPlan, snapshot: DirectorySnapshot): boolean {
  const kinds = snapshot.warningKinds ?? [];
  return plan.warnings.length === snapshot.warnings.length && kinds.every((kind) => kind === 'unresolved-member');
}

export function summaryOf(plan: SyncPlan, report: SyncReport, snapshot: DirectorySnapshot): string {
  const summary: RunSummary = {
    usersInScope: plan.unchanged + plan.created.length + plan.updated.length,
    outOfScope: report.users.outOfScope,
    keptUnread: report.users.keptUnread,
    references: report.references,
    groups: report.groups,
    warnings: report.warnings,
    directory: { server: report.directory.server, baseDn: report.directory.baseDn, userEntries: report.directory.userEntries, groupEntries: report.directory.groupEntries },
    ...(snapshot.unresolvedMemberKeys && onlyUnresolvedMembers(plan, snapshot) ? { unresolvedMemberKeys: snapshot.unresolvedMemberKeys } : {}),
  };
  return JSON.stringify(summary);
}

export function unchangedCounts(summary: RunSummary): RunCounts {
  return { created: 0, updated: 0, deleted: 0, outOfScope: summary.outOfScope.length, keptUnread: summary.keptUnread.length, unchanged: summary.usersInScope };
}

export function unchangedReport(summary: RunSummary, runId: number, readMs: number): SyncReport {
  return {
    committed: true,
    runId,
    mode: 'incremental',
    entryChanges: { changed: 0, deleted: 0 },
    users: {
      created: [],
      updated: [],
      deleted: [],
      outOfScope: summary.outOfScope,
      keptUnread: summary.keptUnread,
      unchanged: summary.usersInScope,
      pendingDeletion: [],
      restored: [],
    },
    references: summary.references,
    groups: summary.groups,
    warnings: [...summary.warnings],
    directory: { ...summary.directory, pages: 0, readMs },
  };
}
