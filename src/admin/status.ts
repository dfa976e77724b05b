/** What monitors and the console's alert banner need: the last run, and whether runs fail since the last commit. */
import { listRuns, type RunRecord } from '../store/runs.js';
import type { Store } from '../store/store.js';
import { webhookBacklog } from '../store/webhooks.js';

export interface LastRun {
  id: number;
  status: RunRecord['status'];
  trigger: string;
  finishedAt: string | null;
  error: RunRecord['error'];
}

export interface SyncAlert {
  /** The newest refused or failed run, shown until a later run commits. */
  run: LastRun;
  /** Refused or failed runs since the last committed one. */
  count: number;
}

function lastRunOf(run: RunRecord): LastRun {
  return { id: run.id, status: run.status, trigger: run.trigger, finishedAt: run.finishedAt, error: run.error };
}

export async function lastRun(store: Store): Promise<LastRun | null> {
  const [run] = await listRuns(store.db, 1);
  return run ? lastRunOf(run) : null;
}

/** An alert while the newest runs were refused or failed; none once a run commits. */
export async function syncAlert(store: Store): Promise<SyncAlert | null> {
  const runs = await listRuns(store.db, 50);
  const failing = runs.findIndex((run) => run.status === 'committed');
  const count = failing === -1 ? runs.length : failing;
  return count > 0 ? { run: lastRunOf(runs[0]!), count } : null;
}

export function webhookQueue(store: Store): Promise<Array<{ id: number; pending: number }>> {
  return webhookBacklog(store.db);
}
