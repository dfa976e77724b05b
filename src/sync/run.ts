/**
 * The two use cases of the manual's "Running Directory Services Synchronization":
 * "Test settings" (read + plan, nothing committed) and "Synchronize now" (read + plan + guards + apply + record).
 */
import type { DirectorySettings } from '../config/schema.js';
import { readDirectory } from '../directory/read.js';
import { clearTracking, loadTracking, localUsersMark, saveTracking, type StoredTracking } from '../store/change-tracking.js';
import type { HeldLock } from '../store/lock.js';
import type { Executor } from '../store/users.js';
import { readForRun, type ChangedRead, type RunRead, type TrackingUpdate, type UnchangedRead } from './read-for-run.js';
import { planDelta, type DeltaPlan, type DeltaPlanOutcome } from './delta-run.js';
import { summaryOf, unchangedCounts, unchangedReport, type RunSummary } from './unchanged-run.js';
import type { DirectorySnapshot, ReadProgress } from '../snapshot.js';
import { RosterError, isRosterError } from '../errors.js';
import { collectGarbage } from '../memory.js';
import { appendEvents } from '../store/events.js';
import { storeFailure } from '../store/failures.js';
import { recordRun, type NewRun, type RunCounts } from '../store/runs.js';
import { settingsFingerprint } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { applyPlan, firstCreatedChange, type ApplyHooks } from './apply.js';
import { checkPlan, type GuardOptions } from './guard.js';
import { localUsersForPlan } from './local-users.js';
import { emptyPlan, planSync, type SyncPlan } from './plan.js';
import { decideRunMode, type RunModeDecision } from './mode.js';
import { syncEvents } from './events.js';
import { buildReport, type SyncReport } from './report.js';
import { trace } from '../trace.js';

export interface SyncOptions extends GuardOptions, ApplyHooks {
  /** Who or what started the run: "cli", "api:admin", "schedule". */
  trigger: string;
  onProgress?: (progress: ReadProgress) => void;
  /** Read the whole directory even where an incremental run could continue (`--full`, `?full=true`). */
  full?: boolean;
}

const PREVIEW: RunModeDecision = { mode: 'full', reason: 'preview' };

export function countsOf(plan: SyncPlan): RunCounts {
  return {
    created: plan.created.length,
    updated: plan.updated.length,
    deleted: plan.deleted.length,
    outOfScope: plan.outOfScope.length,
    keptUnread: plan.keptUnread.length,
    unchanged: plan.unchanged,
    deletionScheduled: plan.scheduled.length,
    pendingDeletion: plan.pending.length,
    restored: plan.updated.filter((update) => update.restored).length,
  };
}

/** Any failure of the read becomes SYNC_INCOMPLETE_READ: the run must not go on to delete anybody. */
export function incompleteRead(error: unknown): RosterError {
  const cause = isRosterError(error) ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
  return new RosterError('SYNC_INCOMPLETE_READ', `The directory read did not complete, so nothing was changed and nobody was deleted. ${cause}`, {
    cause: error,
    details: { cause: isRosterError(error) ? error.code : 'INTERNAL' },
  });
}

/** "Test settings" against the stored users (none when Roster has no database yet). */
export async function previewSync(store: Store | undefined, settings: DirectorySettings, onProgress?: (progress: ReadProgress) => void): Promise<SyncReport> {
  const { snapshot, plan } = await readAndPlan(store, settings, onProgress);
  return buildReport(snapshot, plan, false, PREVIEW);
}

/** The read and the plan of "Test settings", for callers that look into them (explain). Commits nothing. */
export async function readAndPlan(
  store: Store | undefined,
  settings: DirectorySettings,
  onProgress?: (progress: ReadProgress) => void,
): Promise<{ snapshot: DirectorySnapshot; plan: SyncPlan }> {
  const snapshot = await readDirectory(settings, { onProgress });
  collectGarbage();
  const plan = store ? await planAgainstStoredUsers(store, snapshot, settings, new Date()) : planSync(snapshot, [], settings, undefined, new Date());
  return { snapshot, plan };
}

/** The plan for a snapshot against the users stored: those the digests left unmatched are loaded (local-users.ts). */
export async function planAgainstStoredUsers(store: Store, snapshot: DirectorySnapshot, settings: DirectorySettings, now: Date): Promise<SyncPlan> {
  const local = await localUsersForPlan(store.db, snapshot.users);
  trace('stored users loaded');
  const plan = planSync(snapshot, local.localUsers, settings, local.digests, now);
  trace('planned');
  return plan;
}

export async function runSync(store: Store, settings: DirectorySettings, options: SyncOptions): Promise<SyncReport> {
  const lock = await store.acquireSyncLock();
  const started = new Date();
  const fingerprint = settingsFingerprint(settings);
  const stored = await loadTracking(store.db);
  const state = stored && { settingsFingerprint: stored.settingsFingerprint, lastFullRunAt: stored.lastFullRunAt };
  // Whether the server can is learnt from its root DSE during the read; a server that cannot turns the run into a
  // full one there ("server-cannot").
  let mode = decideRunMode({ settings, settingsFingerprint: fingerprint, forcedFull: options.full === true, serverCanTrackChanges: true, state, now: started });
  const base = () => ({
    startedAt: started.toISOString(),
    trigger: options.trigger,
    settingsFingerprint: fingerprint,
    instance: store.instance,
    mode: mode.mode,
    ...(mode.mode === 'full' ? { modeReason: mode.reason } : {}),
  });
  const elapsed = () => Date.now() - started.getTime();
  const actor = `sync:${options.trigger}`;
  // A refused or failed run is recorded with its event (sync.refused / sync.failed) in one transaction: the alert.
  const refuse = async (error: RosterError, status: 'refused' | 'failed', plan?: SyncPlan) => {
    try {
      await store.db.transaction().execute(async (trx) => {
        const runId = await recordRun(trx, {
          ...base(),
          status,
          error: { code: error.code, message: error.message },
          durationMs: elapsed(),
          counts: plan ? countsOf(plan) : countsOf(emptyPlan()),
          warnings: plan?.warnings ?? [],
          references: plan?.references ?? [],
        });
        await appendEvents(trx, [{ type: status === 'refused' ? 'sync.refused' : 'sync.failed', runId, data: { code: error.code, message: error.message } }], actor);
      });
    } catch {
      // Recording fails for the same cause as the run (a full disk, a locked database): the run's own error is
      // the one to report, not the record's.
    }
    return error;
  };
  try {
    const read_ = async (wholeImage?: string): Promise<RunRead> => {
      try {
        return await readForRun({ store, settings, settingsFingerprint: fingerprint, decision: mode, stored, started, onProgress: options.onProgress, wholeImage });
      } catch (error) {
        throw await refuse(incompleteRead(error), 'refused');
      }
    };
    let read = await read_();
    mode = read.mode;
    if (read.unchanged) return await commitUnchanged(store, lock, read, { ...base(), durationMs: elapsed() }, actor);
    // A read of only the affected entries leaves little behind: a full collection would cost more than it frees.
    if (!read.delta) collectGarbage();
    let planned = await planRead(store, read, stored, settings, started);
    if ('fallBack' in planned) {
      // The affected entries alone could not settle it: the same changes again (the cookie has not moved), whole.
      trace(`whole image: ${planned.fallBack}`);
      read = await read_(planned.fallBack);
      mode = read.mode;
      if (read.unchanged) return await commitUnchanged(store, lock, read, { ...base(), durationMs: elapsed() }, actor);
      planned = await planRead(store, read, stored, settings, started);
      if ('fallBack' in planned) throw new RosterError('INTERNAL', `The whole directory image was planned as only its changes (${planned.fallBack}).`);
    }
    const { plan, snapshot, usersInScope, groups } = planned;
    try {
      checkPlan(plan, usersInScope, settings, options);
    } catch (error) {
      throw isRosterError(error) ? await refuse(error, 'refused', plan) : error;
    }
    let report: SyncReport;
    try {
      report = await store.db.transaction().execute(async (trx) => {
        const changes = await applyPlan(trx, plan, snapshot, options, groups);
        const counts = countsOf(plan);
        const id = await recordRun(trx, { ...base(), status: 'committed', durationMs: elapsed(), counts, warnings: plan.warnings, references: plan.references }, changes);
        trace('run recorded');
        await appendEvents(trx, syncEvents(plan, id, counts, firstCreatedChange(plan)), actor);
        trace('events written');
        const committed = buildReport(snapshot, plan, true, mode, id);
        // The cookie goes with the changes it covers: a run that fails or is killed before this commits leaves
        // the stored cookie where it was, and the next run reads the same changes again.
        await writeTracking(trx, read.tracking, () => summaryOf(plan, committed, snapshot));
        // Last before the commit: a run whose lease ended and was taken over by another instance commits nothing.
        await lock.confirm(trx);
        return committed;
      });
    } catch (error) {
      const failure = isRosterError(error)
        ? error
        : (storeFailure(error, store.location) ??
          new RosterError('INTERNAL', `Committing the synchronization failed; nothing was changed: ${(error as Error).message}`, { cause: error }));
      throw await refuse(failure, 'failed', plan);
    }
    trace('committed');
    if (read.entryChanges) report.entryChanges = read.entryChanges;
    if (read.corrections) report.corrected = read.corrections;
    if (read.imagePath) report.imagePath = read.imagePath;
    return report;
  } finally {
    await lock.release();
  }
}

/**
 * The plan of a read: against the affected users alone when the read computed only the affected entries
 * (delta-run.ts; `fallBack` when they cannot settle it), else against every stored user the digests leave.
 */
async function planRead(
  store: Store,
  read: ChangedRead,
  stored: StoredTracking | undefined,
  settings: DirectorySettings,
  now: Date,
): Promise<DeltaPlanOutcome | (Omit<DeltaPlan, 'groups'> & { groups?: undefined })> {
  if (read.delta && stored) return planDelta(store.db, read.snapshot, read.delta, JSON.parse(stored.summary) as RunSummary, settings, now);
  const plan = await planAgainstStoredUsers(store, read.snapshot, settings, now);
  return { plan, snapshot: read.snapshot, usersInScope: read.snapshot.users.length, groups: undefined };
}

/** Writes the tracking update of a committed run, with the users' mark as the run leaves them. */
async function writeTracking(trx: Executor, update: TrackingUpdate, summary: () => string): Promise<void> {
  if (update.kind === 'save') await saveTracking(trx, update.changes, { ...update.tracking, localMark: await localUsersMark(trx), summary: summary() });
  else if (update.kind === 'clear') await clearTracking(trx);
}

/** Records a run that found nothing changed (unchanged-run.ts) with its new cookie; its users are untouched. */
async function commitUnchanged(store: Store, lock: HeldLock, read: UnchangedRead, run: Omit<NewRun, 'status' | 'counts' | 'warnings'>, actor: string): Promise<SyncReport> {
  const summary = JSON.parse(read.stored.summary) as RunSummary;
  const runId = await store.db.transaction().execute(async (trx) => {
    const counts = unchangedCounts(summary);
    const id = await recordRun(trx, { ...run, status: 'committed', counts, warnings: [...summary.warnings], references: summary.references });
    // Every committed run is announced, a run that changed nothing included (DESIGN §5: per run sync.committed).
    await appendEvents(trx, [{ type: 'sync.committed', runId: id, data: { counts } }], actor);
    await saveTracking(trx, read.tracking.changes, { ...read.tracking.tracking, localMark: read.stored.localMark, summary: read.stored.summary });
    await lock.confirm(trx);
    return id;
  });
  trace('committed');
  return unchangedReport(summary, runId, run.durationMs);
}
