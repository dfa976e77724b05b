import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRosterError } from '../../src/errors.js';
import { createLogger, instanceName } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';

describe('the instance name', () => {
  it('is ROSTER_INSTANCE when set, else host:pid', () => {
    assert.equal(instanceName({ ROSTER_INSTANCE: ' roster-7f9c-2 ' }), 'roster-7f9c-2');
    assert.equal(instanceName({}), `${hostname()}:${process.pid}`);
    assert.equal(instanceName({ ROSTER_INSTANCE: '' }), `${hostname()}:${process.pid}`);
  });

  it('rejects a ROSTER_INSTANCE with spaces, control characters or over 100 characters, naming the variable', () => {
    for (const bad of ['two words', 'line\nbreak', 'x'.repeat(101), 'zoë']) {
      assert.throws(
        () => instanceName({ ROSTER_INSTANCE: bad }),
        (error) => isRosterError(error, 'CONFIG_INVALID') && /^ROSTER_INSTANCE:/.test(error.message),
        JSON.stringify(bad),
      );
    }
  });

  it('is on every log line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'roster-log-')), 'roster.log');
    const log = createLogger({ instance: 'node-a', destination: file });
    log.info({ event: 'x' }, 'hello');
    log.child({ request: 1 }).warn('again');
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { instance: string });
    assert.deepEqual(
      lines.map((line) => line.instance),
      ['node-a', 'node-a'],
    );
  });
});

describe('cluster metrics', () => {
  it('name the lock holder and the last scheduled commit, escaping label values, and leave skipped ticks out of durations', () => {
    const metrics = new Metrics();
    metrics.syncFinished('committed', 2);
    metrics.syncFinished('skipped', 1);
    const text = metrics.render(
      { directory: 3 },
      {
        instance: 'node-"a"',
        syncLock: { instance: 'node-b', host: 'h', pid: 7, since: '2026-11-27T12:00:00.000Z', leaseEndsAt: '2026-11-27T12:01:00.000Z' },
        lastScheduledSync: { runId: 4, committedAt: '2026-11-27T11:59:59.000Z', instance: 'node-c' },
      },
    );
    assert.match(text, /^roster_instance_info\{instance="node-\\"a\\""\} 1$/m);
    assert.match(text, /^roster_sync_lock_held\{holder="node-b"\} 1$/m);
    assert.match(text, /^roster_sync_lock_acquired_timestamp_seconds\{holder="node-b"\} 1795780800$/m);
    assert.match(text, /^roster_last_scheduled_sync_timestamp_seconds\{instance="node-c"\} 1795780799$/m);
    assert.match(text, /^roster_sync_runs_total\{status="skipped"\} 1$/m);
    assert.match(text, /^roster_sync_duration_seconds_count 1$/m);
    const idle = new Metrics().render({}, { instance: 'n', syncLock: null, lastScheduledSync: null });
    assert.match(idle, /^roster_sync_lock_held 0$/m);
    assert.doesNotMatch(idle, /^roster_sync_lock_acquired_timestamp_seconds/m);
  });
});
