/**
 * "Test settings" and "Synchronize now" from the console run as background jobs: reading 100,000 users takes
 * seconds (more on a slow directory), longer than a request should wait behind a proxy. The console starts a job,
 * then polls it for the entries read so far and finally for the report. Jobs live in the server process that runs
 * them (an instance of this class on the app, no module state); finished ones are kept for a while to be read.
 */
import { randomBytes } from 'node:crypto';
import type { ReadProgress } from '../directory/snapshot.js';
import { isRosterError } from '../errors.js';
import type { SyncReport } from '../sync/report.js';

export type JobKind = 'test' | 'sync';

export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  readonly startedAt: number;
  status: 'running' | 'done' | 'failed';
  progress?: ReadProgress;
  report?: SyncReport;
  error?: { code: string; message: string };
  finishedAt?: number;
}

/** Finished jobs are readable this long, and at most this many are kept. */
const KEEP_MS = 30 * 60 * 1000;
const MAX_JOBS = 20;

export class Jobs {
  private readonly jobs = new Map<string, Job>();

  /** Starts `work` without waiting for it; its failures are kept in the job (never unhandled). */
  start(kind: JobKind, work: (onProgress: (progress: ReadProgress) => void) => Promise<SyncReport>): Job {
    this.prune();
    const job: Job = { id: randomBytes(12).toString('base64url'), kind, startedAt: Date.now(), status: 'running' };
    this.jobs.set(job.id, job);
    work((progress) => (job.progress = progress)).then(
      (report) => Object.assign(job, { status: 'done', report, finishedAt: Date.now() }),
      (error: unknown) =>
        Object.assign(job, {
          status: 'failed',
          finishedAt: Date.now(),
          error: isRosterError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'An unexpected error occurred; see the server log.' },
        }),
    );
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) if (job.finishedAt !== undefined && now - job.finishedAt > KEEP_MS) this.jobs.delete(id);
    const finished = [...this.jobs.values()].filter((job) => job.finishedAt !== undefined).sort((a, b) => a.finishedAt! - b.finishedAt!);
    while (this.jobs.size >= MAX_JOBS && finished.length > 0) this.jobs.delete(finished.shift()!.id);
  }
}
