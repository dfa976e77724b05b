/**
 * What the instances sharing a database do together, for /api/health and /metrics: who holds the sync lock
 * and since when, and which instance committed the last scheduled run, and when.
 */
import { findLastRun } from '../store/runs.js';
import type { Store } from '../store/store.js';

export interface ClusterStatus {
  /** This instance's name (ROSTER_INSTANCE or host:pid). */
  readonly instance: string;
  readonly syncLock: { readonly instance: string; readonly host: string; readonly pid: number; readonly since: string; readonly leaseEndsAt: string } | null;
  readonly lastScheduledSync: { readonly runId: number; readonly committedAt: string; readonly instance: string | null } | null;
}

export async function clusterStatus(store: Store): Promise<ClusterStatus> {
  const [holder, lastRun] = await Promise.all([store.syncLockHolder(), findLastRun(store.db, 'schedule', 'committed')]);
  return {
    instance: store.instance,
    syncLock: holder && {
      instance: holder.instance,
      host: holder.host,
      pid: holder.pid,
      since: holder.acquiredAt.toISOString(),
      leaseEndsAt: holder.leaseEndsAt.toISOString(),
    },
    lastScheduledSync: lastRun ? { runId: lastRun.id, committedAt: lastRun.finishedAt ?? lastRun.startedAt, instance: lastRun.instance } : null,
  };
}
