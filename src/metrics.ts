/** Counters for GET /metrics (Prometheus text format 0.0.4). */
export class Metrics {
  private readonly syncRuns = new Map<string, number>();
  private syncSeconds = 0;
  private syncCount = 0;
  private readonly logins = new Map<string, number>();

  syncFinished(status: string, seconds: number): void {
    this.syncRuns.set(status, (this.syncRuns.get(status) ?? 0) + 1);
    this.syncSeconds += seconds;
    this.syncCount++;
  }

  login(outcome: string): void {
    this.logins.set(outcome, (this.logins.get(outcome) ?? 0) + 1);
  }

  render(usersBySource: Record<string, number>): string {
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
    ];
    return lines.join('\n') + '\n';
  }
}
