import type { Selectable } from 'kysely';
import type { SyncRunsTable } from './schema.js';
import { insertMany } from './bulk.js';
import { changeIndexOf } from './run-changes.js';
import type { Executor } from './users.js';

export type RunStatus = 'committed' | 'refused' | 'failed';
/** How a run read the directory (DESIGN §5). "single" is a one-user run. */
export type RunMode = 'full' | 'incremental' | 'single';

/** Why a full run was full (issue 14): the tracking had nothing to continue from, could not be used, or was bypassed. */
export const FULL_RUN_REASONS = ['first-run', 'settings-changed', 'cookie-refused', 'server-cannot', 'forced', 'periodic', 'disabled', 'preview'] as const;
export type FullRunReason = (typeof FULL_RUN_REASONS)[number];

export interface RunCounts {
  created: number;
  updated: number;
  deleted: number;
  outOfScope: number;
  /** Users not found but kept: they may live in a subtree the read did not see (absent in older callers' counts). */
  keptUnread?: number;
  unchanged: number;
  /** Users disabled and marked pending deletion by the run (options.deleteAfter), and users it restored. */
  deletionScheduled?: number;
  /** Users still waiting for their grace period to pass. */
  pendingDeletion?: number;
  restored?: number;
}

/** A search continuation reference the run's read met (sync/unread.ts ReportedReference, kept here as plain data). */
export interface RunReference {
  url: string;
  subtree: string;
  quiet: boolean;
}

export interface RunRecord {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  trigger: string;
  status: RunStatus;
  error: { code: string; message: string } | null;
  settingsFingerprint: string;
  durationMs: number;
  counts: RunCounts;
  warnings: string[];
  /** The instance that ran it (ROSTER_INSTANCE or host:pid); null for runs older than migration 0015. */
  instance: string | null;
  /** Subtrees the read did not see (migration 0027); empty for runs recorded before it. */
  references: RunReference[];
  mode: RunMode;
  /** Why the run had its mode: a FullRunReason for a full run, "user NAME" for a single-user run; else null. */
  modeReason: string | null;
}

export interface RunChange {
  userName: string;
  action: 'created' | 'updated' | 'deleted' | 'deletionScheduled' | 'restored';
  detail: unknown;
}

export interface NewRun {
  startedAt: string;
  trigger: string;
  status: RunStatus;
  error?: { code: string; message: string };
  settingsFingerprint: string;
  durationMs: number;
  counts: RunCounts;
  warnings: string[];
  instance?: string;
  references?: readonly RunReference[];
  /** Absent: "full" (the column's default). */
  mode?: RunMode;
  /** A FullRunReason for a full run, "user NAME" for a single-user run. */
  modeReason?: string;
}

const EMPTY_COUNTS: RunCounts = { created: 0, updated: 0, deleted: 0, outOfScope: 0, keptUnread: 0, unchanged: 0, deletionScheduled: 0, pendingDeletion: 0, restored: 0 };

/**
 * Changes are stored a page per row: a first sync records 100,000 of them, and one row each made recording the
 * run cost as much as creating the users; the history only ever reads a run's changes whole, in order.
 */
// 200 keeps a page's JSON (~40 KB here) well inside V8's young generation; strings over 128 KB go to the
// large-object space, which only full collections free (see json-stream.ts).
export const CHANGES_PER_PAGE = 200;

function* changePages(runId: number, changes: Iterable<RunChange>) {
  let page: RunChange[] = [];
  let number = 0;
  for (const change of changes) {
    page.push(change);
    if (page.length === CHANGES_PER_PAGE) {
      yield { run_id: runId, page: number++, changes: JSON.stringify(page), ...changeIndexOf(page) };
      page = [];
    }
  }
  if (page.length > 0) yield { run_id: runId, page: number, changes: JSON.stringify(page), ...changeIndexOf(page) };
}

export async function recordRun(db: Executor, run: NewRun, changes: Iterable<RunChange> = []): Promise<number> {
  const inserted = await db
    .insertInto('sync_runs')
    .values({
      started_at: run.startedAt,
      finished_at: new Date().toISOString(),
      trigger: run.trigger,
      status: run.status,
      error_code: run.error?.code ?? null,
      error_message: run.error?.message ?? null,
      settings_fingerprint: run.settingsFingerprint,
      duration_ms: Math.round(run.durationMs),
      counts: JSON.stringify(run.counts),
      warnings: JSON.stringify(run.warnings),
      mode: run.mode ?? 'full',
      mode_reason: run.modeReason ?? null,
      instance: run.instance ?? null,
      unread_subtrees: JSON.stringify(run.references ?? []),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // A page is ~50 KB of JSON: a few per statement, not a whole run's worth in one parameter.
  await insertMany(db, 'sync_run_change_pages', changePages(inserted.id, changes), { maxRows: 20 });
  return inserted.id;
}

type RunRow = Selectable<SyncRunsTable>;

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    trigger: row.trigger,
    status: row.status as RunStatus,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    settingsFingerprint: row.settings_fingerprint,
    durationMs: Number(row.duration_ms),
    counts: { ...EMPTY_COUNTS, ...(JSON.parse(row.counts) as Partial<RunCounts>) },
    warnings: JSON.parse(row.warnings) as string[],
    instance: row.instance,
    references: JSON.parse(row.unread_subtrees) as RunReference[],
    mode: row.mode as RunMode,
    modeReason: row.mode_reason,
  };
}

export async function listRuns(db: Executor, limit = 50): Promise<RunRecord[]> {
  const rows = await db.selectFrom('sync_runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toRun);
}

/** One run without its changes (run-changes.ts pages them). */
export async function findRunRecord(db: Executor, id: number): Promise<RunRecord | undefined> {
  const row = await db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function findRun(db: Executor, id: number): Promise<(RunRecord & { changes: RunChange[] }) | undefined> {
  const row = await db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const pages = await db.selectFrom('sync_run_change_pages').select('changes').where('run_id', '=', id).orderBy('page').execute();
  return { ...toRun(row), changes: pages.flatMap((page) => JSON.parse(page.changes) as RunChange[]) };
}

/** The latest run started by `trigger` that ended with `status` (the last scheduled commit for /api/health). */
export async function findLastRun(db: Executor, trigger: string, status: RunStatus): Promise<RunRecord | undefined> {
  const row = await db.selectFrom('sync_runs').selectAll().where('trigger', '=', trigger).where('status', '=', status).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toRun(row) : undefined;
}
