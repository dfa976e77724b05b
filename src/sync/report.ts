/** The JSON document of DESIGN §4 for "Test settings" and "Synchronize now", and its human rendering. */
import type { DirectorySnapshot } from '../snapshot.js';
import type { User } from '../model.js';
import type { FullRunReason, RunMode } from '../store/runs.js';
import { FULL_RUN_REASON_TEXT, type RunModeDecision } from './mode.js';
import type { SyncPlan, UserChanges } from './plan.js';
import type { ReportedReference } from './unread.js';

export interface SyncReport {
  committed: boolean;
  runId?: number;
  /** "incremental": only the changes were read; "full": the whole directory, for `modeReason`; "single": one user. */
  mode: RunMode;
  modeReason?: FullRunReason;
  /** Incremental runs: the entries the change tracking reported changed (added, modified, moved) and deleted. */
  entryChanges?: { changed: number; deleted: number };
  /**
   * Incremental runs that read changes: `delta` when only the entries the changes reach were computed and planned,
   * `whole-image` (with why) when the whole directory image was.
   */
  imagePath?: { readonly path: 'delta' } | { readonly path: 'whole-image'; readonly reason: string };
  /** Periodic full runs: the users and groups whose content the change tracking had got wrong. */
  corrected?: { users: readonly string[]; groups: readonly string[] };
  users: {
    /** The users as they will be created (DESIGN §4's fields, plus source, privileges and the rest of User). */
    created: User[];
    updated: Array<{ userName: string; changes: UserChanges }>;
    deleted: Array<{ userName: string; reason: string }>;
    outOfScope: Array<{ userName: string; reason: string }>;
    /** Users not found, kept because their entries may be in a subtree the read did not see. */
    keptUnread: Array<{ userName: string; reason: string }>;
    unchanged: number;
    /** options.deleteAfter: users this run disables and marks (`new`), and users marked earlier, still waiting. */
    pendingDeletion: Array<{ userName: string; reason: string; since: string | null; deleteAt: string | null; new: boolean }>;
    /** Users pending deletion who came back in scope: unmarked (their field changes are under `updated`). */
    restored: string[];
  };
  /** Search continuation references met by the read: subtrees not read. Quiet ones (AD's partitions) warn nobody. */
  references: ReportedReference[];
  groups: Array<{ name: string; dn: string; members: number; selected: boolean; description?: string }>;
  warnings: string[];
  directory: { server: string; baseDn: string; userEntries: number; groupEntries: number; pages: number; readMs: number };
}

export function buildReport(snapshot: DirectorySnapshot, plan: SyncPlan, committed: boolean, mode: RunModeDecision | { readonly mode: 'single' }, runId?: number): SyncReport {
  return {
    committed,
    ...(runId !== undefined ? { runId } : {}),
    mode: mode.mode,
    ...(mode.mode === 'full' ? { modeReason: mode.reason } : {}),
    users: {
      created: plan.created,
      updated: plan.updated.filter((update) => Object.keys(update.changes).length > 0).map(({ userName, changes }) => ({ userName, changes })),
      deleted: plan.deleted.map(({ userName, reason }) => ({ userName, reason })),
      outOfScope: plan.outOfScope.map(({ userName, reason }) => ({ userName, reason })),
      keptUnread: plan.keptUnread,
      unchanged: plan.unchanged,
      pendingDeletion: [
        ...plan.scheduled.map(({ userName, reason, since, deleteAt }) => ({ userName, reason, since, deleteAt, new: true })),
        ...plan.pending.map(({ userName, reason, since, deleteAt }) => ({ userName, reason, since, deleteAt, new: false })),
      ],
      restored: plan.updated.filter((update) => update.restored).map((update) => update.changes.userName?.to ?? update.userName),
    },
    references: plan.references,
    groups: snapshot.groups.map((group) => ({
      name: group.name,
      dn: group.dn,
      members: group.usersInScope ?? group.directUsers + group.directGroups,
      selected: group.selected,
      ...(group.description ? { description: group.description } : {}),
    })),
    warnings: plan.warnings,
    directory: {
      server: snapshot.server,
      baseDn: snapshot.baseDn,
      userEntries: snapshot.statistics.userEntries,
      groupEntries: snapshot.statistics.groupEntries,
      pages: snapshot.statistics.pages,
      readMs: snapshot.statistics.durationMs,
    },
  };
}

function table(rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, column) => Math.min(60, Math.max(...rows.map((row) => row[column]!.length))));
  return rows.map(
    (row) =>
      '  ' +
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
  );
}

function describeChange(changes: UserChanges): string {
  return Object.entries(changes)
    .map(([field, change]) => `${field}: ${JSON.stringify((change as { from: unknown }).from)} -> ${JSON.stringify((change as { to: unknown }).to)}`)
    .join('; ');
}

/** A readable summary: counts first, then one table per kind of change, then the warnings. */
export function formatReport(report: SyncReport, limit = 200): string {
  const { users } = report;
  const lines = [
    `${report.committed ? 'Synchronized (committed)' : 'Test settings (nothing committed)'}: ${report.directory.server}, base ${report.directory.baseDn}`,
    report.mode === 'full' && report.modeReason
      ? `Full run: ${FULL_RUN_REASON_TEXT[report.modeReason]}.`
      : report.mode === 'single'
        ? 'Single-user run: only this user was applied.'
        : `Incremental run: only the changes were read${report.entryChanges ? ` (${report.entryChanges.changed} entries changed, ${report.entryChanges.deleted} gone)` : ''}.`,
    `Read ${report.directory.userEntries} user entries and ${report.directory.groupEntries} group entries in ${report.directory.pages} pages (${report.directory.readMs} ms).`,
    `Users: ${users.created.length} created, ${users.updated.length} updated, ${users.deleted.length} deleted, ${users.outOfScope.length} out of scope (kept), ${users.unchanged} unchanged.`,
    ...(users.pendingDeletion.length + users.restored.length > 0
      ? [
          `Pending deletion: ${users.pendingDeletion.filter((user) => user.new).length} new (disabled now), ${users.pendingDeletion.filter((user) => !user.new).length} waiting; ${users.restored.length} restored.`,
        ]
      : []),
  ];
  if (users.keptUnread.length > 0) lines.push(`${users.keptUnread.length} users not found were kept unchanged: they may live in a subtree that was not read.`);
  const section = (title: string, rows: string[][]) => {
    if (rows.length === 0) return;
    lines.push('', `${title}:`, ...table(rows.slice(0, limit)));
    if (rows.length > limit) lines.push(`  ... and ${rows.length - limit} more (use --json for all)`);
  };
  section(
    'Created',
    users.created.map((user) => [user.userName, user.fullName, user.emailAddresses.join(', '), user.disabled ? 'disabled' : '']),
  );
  section(
    'Updated',
    users.updated.map((user) => [user.userName, describeChange(user.changes)]),
  );
  section(
    'Deleted',
    users.deleted.map((user) => [user.userName, user.reason]),
  );
  section(
    'Pending deletion (disabled; options.deleteAfter)',
    users.pendingDeletion.map((user) => [
      user.userName,
      user.new ? 'new' : `since ${user.since}`,
      `deleted from ${user.deleteAt ?? 'the next run after the grace period'}`,
      user.reason,
    ]),
  );
  section(
    'Restored (back in scope)',
    users.restored.map((name) => [name]),
  );
  section(
    'Out of scope (kept; options.deleteUsers is off)',
    users.outOfScope.map((user) => [user.userName, user.reason]),
  );
  section(
    'Kept (may live in a subtree that was not read)',
    users.keptUnread.map((user) => [user.userName, user.reason]),
  );
  section(
    'Subtrees not read (search continuation references)',
    report.references.map((reference) => [reference.subtree, reference.url, reference.quiet ? 'AD partition, no user there' : '']),
  );
  section(
    'Groups',
    report.groups.filter((group) => group.selected || report.groups.length <= 50).map((group) => [group.name, `${group.members} members`, group.selected ? 'selected' : '']),
  );
  if (report.warnings.length > 0) lines.push('', 'Warnings:', ...report.warnings.map((warning) => `  - ${warning}`));
  return lines.join('\n') + '\n';
}
