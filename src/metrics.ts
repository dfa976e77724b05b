/** Counters for GET /metrics (Prometheus text format 0.0.4). */
import type { ClusterStatus } from './admin/cluster.js';

/** A label value in the text format: backslash, double quote and line feed escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function seconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** Which instance holds the sync lock and since when, and when the last scheduled run committed (issue #16). */
function clusterLines(cluster: ClusterStatus): string[] {
  const lock = cluster.syncLock;
  const last = cluster.lastScheduledSync;
  return [
    '# HELP roster_instance_info The name of the instance answering (ROSTER_INSTANCE or host:pid).',
    '# TYPE roster_instance_info gauge',
    `roster_instance_info{instance="${label(cluster.instance)}"} 1`,
    '# HELP roster_sync_lock_held 1 while an instance holds the sync lock (labelled with its name), 0 when it is free.',
    '# TYPE roster_sync_lock_held gauge',
    lock ? `roster_sync_lock_held{holder="${label(lock.instance)}"} 1` : 'roster_sync_lock_held 0',
    '# HELP roster_sync_lock_acquired_timestamp_seconds When the current holder took the sync lock.',
    '# TYPE roster_sync_lock_acquired_timestamp_seconds gauge',
    ...(lock ? [`roster_sync_lock_acquired_timestamp_seconds{holder="${label(lock.instance)}"} ${seconds(lock.since)}`] : []),
    '# HELP roster_last_scheduled_sync_timestamp_seconds When the last scheduled run committed, and on which instance.',
    '# TYPE roster_last_scheduled_sync_timestamp_seconds gauge',
    ...(last ? [`roster_last_scheduled_sync_timestamp_seconds{instance="${label(last.instance ?? '')}"} ${seconds(last.committedAt)}`] : []),
  ];
}

export class Metrics {
  private readonly syncRuns = new Map<string, number>();
  private syncSeconds = 0;
  private syncCount = 0;
  private readonly logins = new Map<string, number>();
  private readonly deliveries = new Map<string, number>();

  syncFinished(status: string, seconds: number): void {
    this.syncRuns.set(status, (this.syncRuns.get(status) ?? 0) + 1);
    // A skipped tick (served by another instance) is no run: it would dilute the durations.
    if (status === 'skipped') return;
    this.syncSeconds += seconds;
    this.syncCount++;
  }

  login(outcome: string): void {
    this.logins.set(outcome, (this.logins.get(outcome) ?? 0) + 1);
  }

  webhookDelivery(outcome: string): void {
    this.deliveries.set(outcome, (this.deliveries.get(outcome) ?? 0) + 1);
  }

  render(usersBySource: Record<string, number>, cluster?: ClusterStatus, webhookBacklog: ReadonlyArray<{ id: number; pending: number }> = []): string {
    const lines = [
      '# HELP roster_sync_runs_total Synchronization runs by outcome.',
      '# TYPE roster_sync_runs_total counter',
      ...[...this.syncRuns].map(([status, count]) => `roster_sync_runs_total{status="${status}"} ${count}`),
      '# HELP roster_sync_duration_seconds Time spent in synchronization runs.',
      '# TYPE roster_sync_duration_seconds summary',
      `roster_sync_duration_seconds_sum ${this.syncSeconds}`,
      `roster_sync_duration_seconds_count ${this.syncCount}`,
      '# HELP roster_users Users in the database by source.',
      '# TYPE roster_users gauge',
      ...['directory', 'manual'].map((source) => `roster_users{source="${source}"} ${usersBySource[source] ?? 0}`),
      '# HELP roster_logins_total Login attempts by outcome.',
      '# TYPE roster_logins_total counter',
      ...[...this.logins].map(([outcome, count]) => `roster_logins_total{outcome="${outcome}"} ${count}`),
      ...(cluster ? clusterLines(cluster) : []),
      '# HELP roster_webhook_deliveries_total Webhook delivery attempts by this instance, by outcome (delivered, failed = will retry, given_up).',
      '# TYPE roster_webhook_deliveries_total counter',
      ...[...this.deliveries].map(([outcome, count]) => `roster_webhook_deliveries_total{outcome="${outcome}"} ${count}`),
      '# HELP roster_webhook_pending_events Events each webhook has still to go through.',
      '# TYPE roster_webhook_pending_events gauge',
      ...webhookBacklog.map((entry) => `roster_webhook_pending_events{webhook="${entry.id}"} ${entry.pending}`),
    ];
    return lines.join('\n') + '\n';
  }
}
