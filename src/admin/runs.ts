/** The synchronization history as use cases shared by the API, the console and the CLI. */
import { RosterError } from '../errors.js';
import { findRun, listRuns, type RunChange, type RunRecord } from '../store/runs.js';
import type { Store } from '../store/store.js';

export type { RunChange, RunRecord };

export async function recentRuns(store: Store, limit = 50): Promise<RunRecord[]> {
  return listRuns(store.db, limit);
}

/** One run with all its changes; NOT_FOUND when there is no such run. */
export async function runWithChanges(store: Store, id: number): Promise<RunRecord & { changes: RunChange[] }> {
  const run = await findRun(store.db, id);
  if (!run) throw new RosterError('NOT_FOUND', `There is no run ${id}.`);
  return run;
}
