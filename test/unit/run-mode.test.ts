import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { changeTrackingOptions, parseDuration } from '../../src/config/schema.js';
import { RosterError } from '../../src/errors.js';
import { FULL_RUN_REASONS } from '../../src/store/runs.js';
import { FULL_RUN_REASON_TEXT, decideRunMode, type RunModeInputs } from '../../src/sync/mode.js';

const connection = { server: 'ldap.example.com', administrativeDn: 'cn=admin,dc=example,dc=com', password: 'pw' };
const HOUR = 3_600_000;

function settingsWith(options: Record<string, unknown> = {}) {
  return validateSettings({ preset: 'openldap', connection, options });
}

function inputs(overrides: Partial<RunModeInputs> = {}): RunModeInputs {
  const now = new Date('2026-11-27T12:00:00Z');
  return {
    settings: settingsWith(),
    settingsFingerprint: 'f1',
    forcedFull: false,
    serverCanTrackChanges: true,
    state: { settingsFingerprint: 'f1', lastFullRunAt: new Date(now.getTime() - HOUR).toISOString() },
    now,
    ...overrides,
  };
}

describe('options.incremental and options.fullSyncEvery', () => {
  it('default to incremental runs with a daily full run', () => {
    assert.deepEqual(changeTrackingOptions(settingsWith()), { incremental: true, fullSyncEveryMs: 24 * HOUR });
    assert.deepEqual(changeTrackingOptions(settingsWith({ incremental: false, fullSyncEvery: '7d' })), { incremental: false, fullSyncEveryMs: 7 * 24 * HOUR });
  });

  it('parses minutes, hours and days and nothing else', () => {
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration(' 12 h '), 12 * HOUR);
    assert.equal(parseDuration('1d'), 24 * HOUR);
    for (const text of ['', '24', 'h', '1.5h', '-1h', '1w', '24hours']) assert.equal(parseDuration(text), undefined, text);
  });

  it('refuses a bad duration or a non-boolean with the field path', () => {
    for (const [options, path] of [
      [{ fullSyncEvery: 'daily' }, 'options.fullSyncEvery'],
      [{ fullSyncEvery: '0h' }, 'options.fullSyncEvery'],
      [{ incremental: 'yes' }, 'options.incremental'],
    ] as const) {
      try {
        settingsWith(options);
        assert.fail(`accepted ${JSON.stringify(options)}`);
      } catch (error) {
        assert.ok(error instanceof RosterError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.deepEqual(
          (error.details as Array<{ path: string }>).map((issue) => issue.path),
          [path],
        );
      }
    }
  });
});

describe('the run mode decision', () => {
  it('continues incrementally when the state is fresh, taken with these settings, on a server that can', () => {
    assert.deepEqual(decideRunMode(inputs()), { mode: 'incremental' });
  });

  it('names why a run is full, the forced run first', () => {
    const cases: Array<[Partial<RunModeInputs>, string]> = [
      [{ forcedFull: true }, 'forced'],
      [{ forcedFull: true, serverCanTrackChanges: false, state: undefined }, 'forced'],
      [{ settings: settingsWith({ incremental: false }) }, 'disabled'],
      [{ serverCanTrackChanges: false }, 'server-cannot'],
      [{ state: undefined }, 'first-run'],
      [{ settingsFingerprint: 'f2' }, 'settings-changed'],
      [{ now: new Date('2026-11-28T11:00:00Z') }, 'periodic'],
      [{ settings: settingsWith({ fullSyncEvery: '30m' }) }, 'periodic'],
      // A clock set back behind the last full run: the state's age is unknown, so it is not trusted.
      [{ now: new Date('2026-11-27T10:00:00Z') }, 'periodic'],
    ];
    for (const [overrides, reason] of cases) assert.deepEqual(decideRunMode(inputs(overrides)), { mode: 'full', reason }, JSON.stringify(overrides));
  });

  it('has words for every reason', () => {
    for (const reason of FULL_RUN_REASONS) assert.ok(FULL_RUN_REASON_TEXT[reason].length > 10, reason);
  });
});
