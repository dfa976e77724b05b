/**
 * Scheduled synchronization: the `schedule` cron expression of the stored settings. Runs never overlap
 * (croner's protect, and the database lock against other processes); every run, refused or failed ones too,
 * is recorded like a manual one and logged.
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';
import { isRosterError } from '../errors.js';
import { loadDirectorySettings } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { runSync } from './run.js';

export class SyncScheduler {
  private job: Cron | undefined;
  private pattern: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly onFinished: (status: string, seconds: number) => void = () => {},
  ) {}

  /** (Re)reads the stored schedule; call after the settings changed. */
  async reload(): Promise<void> {
    const settings = await loadDirectorySettings(this.store.db, this.store.secrets).catch(() => undefined);
    const pattern = settings?.schedule;
    if (pattern === this.pattern && this.job) return;
    this.job?.stop();
    this.job = undefined;
    this.pattern = pattern;
    if (!pattern) return;
    this.job = new Cron(pattern, { protect: true, catch: true }, () => this.runOnce());
    this.log.info({ event: 'schedule', pattern, next: this.job.nextRun()?.toISOString() }, 'scheduled synchronization enabled');
  }

  nextRun(): Date | null {
    return this.job?.nextRun() ?? null;
  }

  private async runOnce(): Promise<void> {
    const started = Date.now();
    try {
      const settings = await loadDirectorySettings(this.store.db, this.store.secrets);
      if (!settings) return;
      const report = await runSync(this.store, settings, { trigger: 'schedule' });
      this.onFinished('committed', (Date.now() - started) / 1000);
      this.log.info(
        {
          event: 'sync',
          trigger: 'schedule',
          runId: report.runId,
          created: report.users.created.length,
          updated: report.users.updated.length,
          deleted: report.users.deleted.length,
        },
        'scheduled synchronization committed',
      );
    } catch (error) {
      const status = isRosterError(error, 'SYNC_ALREADY_RUNNING') ? 'skipped' : 'refused';
      this.onFinished(status, (Date.now() - started) / 1000);
      this.log.error(
        { event: 'sync', trigger: 'schedule', code: isRosterError(error) ? error.code : 'INTERNAL', message: (error as Error).message },
        'scheduled synchronization did not commit',
      );
    }
  }

  stop(): void {
    this.job?.stop();
    this.job = undefined;
    this.pattern = undefined;
  }
}
