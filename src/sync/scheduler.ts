/**
 * Scheduled synchronization: the `schedule` cron expression of the stored settings. Every instance on a
 * database keeps the same schedule; each tick is claimed in the database (store/schedule-claims.ts) and runs
 * on the one instance that claimed it, under the sync lock. A tick another instance serves, or that finds a
 * run still holding the lock, is normal: logged at debug level, recorded nowhere but the `skipped` counter.
 * Runs that are refused or fail are recorded in the history like manual ones and logged as errors.
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';
import { isRosterError } from '../errors.js';
import { claimScheduledTick } from '../store/schedule-claims.js';
import { decodeDirectorySettings, loadDirectorySettings, loadRawDirectorySettings } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { runSync } from './run.js';

const SCHEDULE = 'directory-sync';

/** How often an instance re-reads the stored schedule: a change made through another instance arrives within it. */
export const SCHEDULE_WATCH_MS = 5_000;

export class SyncScheduler {
  private job: Cron | undefined;
  private pattern: string | undefined;
  private watcher: ReturnType<typeof setInterval> | undefined;
  private storedText: string | undefined;
  private loaded = false;
  private stopped = false;
  private reloads: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly onFinished: (status: string, seconds: number) => void = () => {},
  ) {}

  /** (Re)reads the stored schedule; call after the settings changed. */
  reload(): Promise<void> {
    // One reload at a time, in order: a settings change must not be answered by a read that began before it.
    this.reloads = this.reloads
      .then(() => this.readSchedule())
      .catch((error: Error) => this.log.error({ event: 'schedule', message: error.message }, 'the schedule could not be set'));
    return this.reloads;
  }

  /** Re-reads the stored settings every SCHEDULE_WATCH_MS (cheap: one row compared as text). */
  watch(intervalMs = SCHEDULE_WATCH_MS): void {
    if (this.watcher) return;
    this.watcher = setInterval(() => void this.reload(), intervalMs);
    this.watcher.unref();
  }

  nextRun(): Date | null {
    return this.job?.nextRun() ?? null;
  }

  private async readSchedule(): Promise<void> {
    let raw: string | undefined;
    try {
      raw = await loadRawDirectorySettings(this.store.db);
    } catch (error) {
      // The database is unreachable for now: keep the schedule there is, and read again at the next watch.
      this.log.warn({ event: 'schedule', code: isRosterError(error) ? error.code : 'INTERNAL', message: (error as Error).message }, 'the stored schedule could not be read');
      return;
    }
    if (this.stopped || (this.loaded && raw === this.storedText)) return;
    this.storedText = raw;
    this.loaded = true;
    let pattern: string | undefined;
    try {
      pattern = raw === undefined ? undefined : decodeDirectorySettings(raw, this.store.secrets).schedule;
    } catch (error) {
      // Settings this instance cannot read (another secret key, say) schedule nothing; said once per change.
      this.log.warn({ event: 'schedule', code: isRosterError(error) ? error.code : 'INTERNAL', message: (error as Error).message }, 'the stored settings could not be read');
    }
    if (pattern === this.pattern && (this.job || !pattern)) return;
    this.job?.stop();
    this.job = undefined;
    this.pattern = pattern;
    if (!pattern) return;
    this.job = new Cron(pattern, { protect: true, catch: true }, (job: Cron) => this.runTick(job));
    this.log.info({ event: 'schedule', pattern, next: this.job.nextRun()?.toISOString() }, 'scheduled synchronization enabled');
  }

  private async runTick(job: Cron): Promise<void> {
    // The tick's scheduled time (the latest occurrence not after now) is the same on every instance.
    const tick = job.previousRuns(1, new Date(Date.now() + 1))[0]?.getTime() ?? Date.now();
    const started = Date.now();
    try {
      if (!(await claimScheduledTick(this.store.db, SCHEDULE, tick, this.store.instance))) {
        this.skipped(tick, 'another instance claimed this tick', started);
        return;
      }
      const settings = await loadDirectorySettings(this.store.db, this.store.secrets);
      if (!settings) return;
      const report = await runSync(this.store, settings, { trigger: 'schedule' });
      this.onFinished('committed', (Date.now() - started) / 1000);
      const { created, updated, deleted } = report.users;
      this.log.info(
        { event: 'sync', trigger: 'schedule', tick: new Date(tick).toISOString(), runId: report.runId, created: created.length, updated: updated.length, deleted: deleted.length },
        'scheduled synchronization committed',
      );
    } catch (error) {
      if (isRosterError(error, 'SYNC_ALREADY_RUNNING')) {
        this.skipped(tick, error.message, started);
        return;
      }
      this.onFinished('refused', (Date.now() - started) / 1000);
      this.log.error(
        { event: 'sync', trigger: 'schedule', tick: new Date(tick).toISOString(), code: isRosterError(error) ? error.code : 'INTERNAL', message: (error as Error).message },
        'scheduled synchronization did not commit',
      );
    }
  }

  private skipped(tick: number, reason: string, started: number): void {
    this.onFinished('skipped', (Date.now() - started) / 1000);
    this.log.debug({ event: 'sync', trigger: 'schedule', tick: new Date(tick).toISOString(), reason }, 'scheduled tick served elsewhere');
  }

  /** Ends scheduling for good (the app is closing); a reload still in flight schedules nothing. */
  stop(): void {
    this.stopped = true;
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = undefined;
    this.job?.stop();
    this.job = undefined;
    this.pattern = undefined;
  }
}
