/**
 * "Synchronize one user" (issue #13): the directory is read and planned exactly as "Synchronize now" does, the
 * guards judge that whole plan (a read that looks broken refuses this run too), and only the named user's change is
 * applied and recorded, as a run of mode "single".
 *
 * The whole scope is read, not only the user's entry: whether a user is in scope depends on every group that may
 * nest a selected one, and whether a name is ambiguous on every entry; reading less would have to re-implement that
 * and could decide differently from a full run. On 100,000 users the read takes what "Test settings" takes.
 */
import type { DirectorySettings } from '../config/schema.js';
import { readDirectory } from '../directory/read.js';
import type { DirectorySnapshot } from '../directory/snapshot.js';
import { RosterError, isRosterError } from '../errors.js';
import { collectGarbage } from '../memory.js';
import { appendEvents } from '../store/events.js';
import { recordRun } from '../store/runs.js';
import { settingsFingerprint } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { findUser } from '../store/users.js';
import { applyPlan } from './apply.js';
import { syncEvents } from './events.js';
import { checkPlan } from './guard.js';
import { emptyPlan, type SyncPlan } from './plan.js';
import { buildReport, type SyncReport } from './report.js';
import { countsOf, incompleteRead, planAgainstStoredUsers, type SyncOptions } from './run.js';

const key = (name: string) => name.trim().toLowerCase();

/** The part of a plan that concerns one user name (before or after a rename); warnings that quote the name or the DN. */
export function planForOneUser(plan: SyncPlan, name: string, dn: string | undefined): SyncPlan {
  const wanted = key(name);
  const created = plan.created.flatMap((user, index) => (key(user.userName) === wanted ? [{ user, digest: plan.createdDigests[index] ?? null }] : []));
  const updated = plan.updated.filter((update) => key(update.userName) === wanted || key(update.changes.userName?.to ?? '') === wanted);
  const concerns = (warning: string) => warning.toLowerCase().includes(`'${wanted}'`) || (dn !== undefined && warning.toLowerCase().includes(dn.toLowerCase()));
  const changed = created.length + updated.length;
  const deleted = plan.deleted.filter((removal) => key(removal.userName) === wanted);
  const outOfScope = plan.outOfScope.filter((removal) => key(removal.userName) === wanted);
  const keptUnread = plan.keptUnread.filter((removal) => key(removal.userName) === wanted);
  const scheduled = plan.scheduled.filter((removal) => key(removal.userName) === wanted);
  const pending = plan.pending.filter((removal) => key(removal.userName) === wanted);
  return {
    created: created.map((entry) => entry.user),
    createdDigests: created.map((entry) => entry.digest),
    updated,
    digestRefreshes: plan.digestRefreshes.filter((refresh) => key(refresh.userName) === wanted),
    deleted,
    scheduled,
    pending,
    outOfScope,
    keptUnread,
    // The subtrees the read did not see concern every user, this one included.
    references: plan.references,
    unchanged: changed + deleted.length + scheduled.length + pending.length + outOfScope.length + keptUnread.length === 0 ? 1 : 0,
    directoryUsersBefore: plan.directoryUsersBefore,
    warnings: plan.warnings.filter(concerns),
  };
}

export async function syncOneUser(store: Store, settings: DirectorySettings, name: string, options: SyncOptions): Promise<SyncReport> {
  const lock = await store.acquireSyncLock();
  const started = new Date();
  const base = {
    startedAt: started.toISOString(),
    trigger: options.trigger,
    settingsFingerprint: settingsFingerprint(settings),
    instance: store.instance,
    mode: 'single' as const,
    modeReason: `user ${name}`,
  };
  const elapsed = () => Date.now() - started.getTime();
  const actor = `sync:${options.trigger}`;
  // As in runSync: a refused or failed run is recorded with its event (sync.refused / sync.failed), the alert.
  const record = async (status: 'refused' | 'failed', plan: SyncPlan, error: RosterError) =>
    store.db.transaction().execute(async (trx) => {
      const runId = await recordRun(trx, {
        ...base,
        status,
        durationMs: elapsed(),
        counts: countsOf(plan),
        warnings: plan.warnings,
        error: { code: error.code, message: error.message },
      });
      await appendEvents(trx, [{ type: status === 'refused' ? 'sync.refused' : 'sync.failed', runId, data: { code: error.code, message: error.message } }], actor);
    });
  try {
    let snapshot: DirectorySnapshot;
    try {
      snapshot = await readDirectory(settings, { onProgress: options.onProgress });
    } catch (error) {
      const refused = incompleteRead(error);
      await record('refused', emptyPlan(), refused);
      throw refused;
    }
    collectGarbage();
    const plan = await planAgainstStoredUsers(store, snapshot, settings, started);
    const entry = snapshot.users.find((user) => key(user.userName) === key(name));
    const single = planForOneUser(plan, name, entry?.dn);
    const known = entry !== undefined || snapshot.outsideSelection.some((user) => key(user.userName) === key(name)) || (await findUser(store.db, name)) !== undefined;
    if (!known) throw new RosterError('NOT_FOUND', `There is no user '${name}' in Roster and no entry with that user name in the directory's user search.`);
    try {
      checkPlan(plan, snapshot.users.length, settings, options);
    } catch (error) {
      if (isRosterError(error)) await record('refused', single, error);
      throw error;
    }
    let runId: number;
    try {
      runId = await store.db.transaction().execute(async (trx) => {
        const changes = await applyPlan(trx, single, snapshot, options);
        const counts = countsOf(single);
        const id = await recordRun(trx, { ...base, status: 'committed', durationMs: elapsed(), counts, warnings: single.warnings, references: single.references }, changes);
        // The user's change is announced like any other sync's (DESIGN §5), in the same transaction.
        await appendEvents(trx, syncEvents(single, id, counts), actor);
        // Last before the commit, as in runSync: a run whose lease was taken over by another instance commits nothing.
        await lock.confirm(trx);
        return id;
      });
    } catch (error) {
      const failure = isRosterError(error)
        ? error
        : new RosterError('INTERNAL', `Committing the synchronization of '${name}' failed; nothing was changed: ${(error as Error).message}`, { cause: error });
      await record('failed', single, failure);
      throw failure;
    }
    return buildReport(snapshot, single, true, { mode: 'single' }, runId);
  } finally {
    await lock.release();
  }
}
