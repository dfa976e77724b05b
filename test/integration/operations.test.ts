/** Issue #12's findings about files and the command line, reproduced as an administrator's shell would meet them. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LOG_FILE_LIMIT } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { insertUser } from '../../src/store/users.js';
import { runCli } from '../helpers/cli.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('files readable by their owner only', () => {
  it('creates roster.db, its WAL and SHM 0600 under a 022 umask, and narrows an existing world-readable database', async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'roster-modes-'));
      const store = await Store.open({ dataDir });
      await insertUser(
        store.db,
        {
          userName: 'm',
          fullName: '',
          emailAddresses: [],
          source: 'manual',
          authentication: 'local',
          disabled: false,
          privileges: [],
          archiveAccess: [],
          dn: null,
          stableId: null,
        },
        null,
      );
      for (const name of ['roster.db', 'roster.db-wal', 'roster.db-shm']) assert.equal(modeOf(join(dataDir, name)).toString(8), '600', name);
      await store.close();
      chmodSync(join(dataDir, 'roster.db'), 0o644);
      await (await Store.open({ dataDir })).close();
      assert.equal(modeOf(join(dataDir, 'roster.db')).toString(8), '600');
    } finally {
      process.umask(previous);
    }
  });

  it('roster login writes roster.log 0600 and rotates it past its limit instead of growing without bound', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-log-'));
    const log = join(dataDir, 'roster.log');
    writeFileSync(log, 'old\n', { mode: 0o644 });
    truncateSync(log, LOG_FILE_LIMIT + 1);
    const result = await runCli(['login', 'nobody', '--password-stdin', '--data', dataDir], { input: 'x\n' });
    assert.equal(result.code, 1, result.stderr);
    assert.ok(existsSync(`${log}.1`), 'the full file was rotated');
    assert.ok(statSync(log).size < 10_000, `roster.log is ${statSync(log).size} bytes`);
    assert.equal(modeOf(log).toString(8), '600');
  });
});

describe('terminal escapes in CLI output', () => {
  it('prints names holding escape sequences visibly escaped, never raw', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-escapes-'));
    const store = await Store.open({ dataDir });
    const hostile = 'eve\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e';
    await insertUser(
      store.db,
      {
        userName: hostile,
        fullName: 'Eve \u001b[5mblink',
        emailAddresses: [],
        source: 'directory',
        authentication: 'directory',
        disabled: false,
        privileges: [],
        archiveAccess: [],
        dn: null,
        stableId: null,
      },
      null,
    );
    await store.close();
    for (const args of [
      ['users', 'list'],
      ['users', 'show', hostile],
    ]) {
      const result = await runCli([...args, '--data', dataDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout, /[\u001b\u0007\u009b\u202e]/, `${args.join(' ')} printed a raw control character`);
      assert.match(result.stdout, /eve\\u\{1b\}\]0;pwned\\u\{7\}/);
    }
    const missing = await runCli(['users', 'show', 'x\u001b[2Jy', '--data', dataDir]);
    assert.equal(missing.code, 1);
    assert.doesNotMatch(missing.stderr, /\u001b/);
  });
});
