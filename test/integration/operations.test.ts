/** Issue #12's findings about files and the command line, reproduced as an administrator's shell would meet them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LOG_FILE_LIMIT } from '../../src/log.js';
import { storeFailure } from '../../src/store/failures.js';
import { loadSqlite } from '../../src/store/sqlite-driver.js';
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

/** A small tmpfs of our own: a disk that really fills up, and a file system that really is read-only. */
function smallDisk(size: string): { path: string; remountReadOnly(): void; unmount(): void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const path = mkdtempSync(join(tmpdir(), 'roster-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  if (mounted.status !== 0) return undefined;
  return {
    path,
    remountReadOnly: () => assert.equal(spawnSync('mount', ['-o', 'remount,ro', path]).status, 0),
    unmount: () => void spawnSync('umount', ['-l', path]),
  };
}

function fill(directory: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const fd = openSync(join(directory, 'filler'), 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
}

const canMount = smallDisk('64k');
canMount?.unmount();
const needsMount = canMount ? false : 'needs root and tmpfs mounts (CI runs as root)';

describe('honest errors from the store', () => {
  it('a full disk is STORE_DISK_FULL, not the failed rollback\'s "no transaction is active"', { skip: needsMount }, async () => {
    const disk = smallDisk('4m')!;
    try {
      const dataDir = join(disk.path, 'data');
      const store = await Store.open({ dataDir });
      fill(disk.path);
      const rows = Array.from({ length: 2000 }, (_, i) => ({ key: `user:${'x'.repeat(900)}${i}`, failures: 1, first_failure_at: 0, last_failure_at: 0, blocked_until: 0 }));
      const error = await store.db
        .transaction()
        .execute(async (trx) => {
          for (const row of rows) await trx.insertInto('login_attempts').values(row).execute();
        })
        .then(
          () => undefined,
          (failure: unknown) => failure,
        );
      assert.ok(error, 'the transaction failed');
      assert.doesNotMatch(String((error as Error).message), /no transaction is active/);
      assert.equal(storeFailure(error, store.location)?.code, 'STORE_DISK_FULL', String(error));
      await store.close().catch(() => undefined);
      const cli = await runCli(['users', 'add', 'newcomer', '--authentication', 'directory', '--data', dataDir]);
      assert.equal(cli.code, 1, cli.stderr);
      assert.match(cli.stderr, /is full .*\[STORE_DISK_FULL\]/);
      assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      disk.unmount();
    }
  });

  it('a read-only data directory is STORE_READ_ONLY with the directory named, for an existing and a new database', { skip: needsMount }, async () => {
    const disk = smallDisk('8m')!;
    try {
      const dataDir = join(disk.path, 'data');
      await (await Store.open({ dataDir })).close();
      disk.remountReadOnly();
      for (const dir of [dataDir, join(disk.path, 'new')]) {
        const cli = await runCli(['users', 'add', 'newcomer', '--authentication', 'directory', '--data', dir]);
        assert.equal(cli.code, 1, cli.stderr);
        assert.match(cli.stderr, new RegExp(`${dir.replace(/[/.]/g, '\\$&')} cannot be written .*\\[STORE_READ_ONLY\\]`));
        assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack trace');
      }
    } finally {
      disk.unmount();
    }
  });

  it('a database another program keeps locked is STORE_LOCKED after the wait', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-locked-'));
    await (await Store.open({ dataDir })).close();
    const other = new (loadSqlite())(join(dataDir, 'roster.db'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const cli = await runCli(['users', 'add', 'newcomer', '--authentication', 'directory', '--data', dataDir]);
      assert.equal(cli.code, 1, cli.stderr);
      assert.match(cli.stderr, /is locked by another program .*\[STORE_LOCKED\]/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});
