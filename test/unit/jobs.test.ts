import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Jobs } from '../../src/admin/jobs.js';
import { RosterError } from '../../src/errors.js';
import type { ReadProgress } from '../../src/directory/snapshot.js';
import type { SyncReport } from '../../src/sync/report.js';

function controllable() {
  let resolve!: (report: SyncReport) => void;
  let reject!: (error: unknown) => void;
  let progress!: (progress: ReadProgress) => void;
  const work = (onProgress: (progress: ReadProgress) => void) => {
    progress = onProgress;
    return new Promise<SyncReport>((ok, fail) => ((resolve = ok), (reject = fail)));
  };
  return { work, resolve: (report: SyncReport) => resolve(report), reject: (error: unknown) => reject(error), progress: (value: ReadProgress) => progress(value) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('background jobs of the console', () => {
  it('shows the entries read so far while running, then the report', async () => {
    const jobs = new Jobs();
    const control = controllable();
    const job = jobs.start('test', control.work);
    assert.equal(jobs.get(job.id)?.status, 'running');
    control.progress({ phase: 'users', entries: 15000 });
    assert.deepEqual(jobs.get(job.id)?.progress, { phase: 'users', entries: 15000 });
    const report = { committed: false } as SyncReport;
    control.resolve(report);
    await settle();
    assert.equal(jobs.get(job.id)?.status, 'done');
    assert.equal(jobs.get(job.id)?.report, report);
  });

  it('keeps a failure with its code, and hides unexpected errors behind INTERNAL', async () => {
    const jobs = new Jobs();
    const known = controllable();
    const unknown = controllable();
    const first = jobs.start('sync', known.work);
    const second = jobs.start('sync', unknown.work);
    known.reject(new RosterError('SYNC_DELETE_GUARD', 'too many'));
    unknown.reject(new Error('secret detail'));
    await settle();
    assert.deepEqual(jobs.get(first.id)?.error, { code: 'SYNC_DELETE_GUARD', message: 'too many' });
    assert.deepEqual(jobs.get(second.id)?.error, { code: 'INTERNAL', message: 'An unexpected error occurred; see the server log.' });
  });

  it('keeps at most 20 jobs, dropping the oldest finished ones, and never a running one', async () => {
    const jobs = new Jobs();
    const running = jobs.start('test', controllable().work);
    const finished = [];
    for (let index = 0; index < 25; index++) {
      const control = controllable();
      finished.push(jobs.start('test', control.work));
      control.resolve({ committed: false } as SyncReport);
      await settle();
    }
    assert.equal(jobs.get(running.id)?.status, 'running');
    assert.equal(jobs.get(finished[0]!.id), undefined);
    assert.ok(jobs.get(finished[24]!.id));
  });
});
