import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { listRuns } from '../../src/store/runs.js';
import { Store } from '../../src/store/store.js';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore } from '../helpers/store.js';

let directory: TestDirectory;
let work: string;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  work = mkdtempSync(join(tmpdir(), 'roster-cli-sync-'));
});
after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

function settingsFile(content: unknown): string {
  const path = join(work, `settings-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify(content));
  return path;
}

const ALL_STAFF = { groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['All Staff'] } };

describe('roster directory set / show / sync / runs and users', () => {
  it('stores settings, never shows the password, syncs, and lists the users and the run', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    const stored = await runCli([...data, 'directory', 'set', settingsFile(openLdapInput(directory, { groups: { groups: ['MailStore Users'] } }))]);
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stderr, /Created the administrator "admin" with the password: \S+/, 'the first command that opens the database creates the administrator');
    const shown = await runCli([...data, 'directory', 'show', '--json']);
    assert.equal(JSON.parse(shown.stdout).connection.passwordSet, true);
    assert.doesNotMatch(shown.stdout, new RegExp(directory.servicePassword));
    const synced = await runCli([...data, 'directory', 'sync', '--json']);
    assert.equal(synced.code, 0, synced.stderr);
    assert.doesNotMatch(synced.stderr, /Created the administrator/, 'and only that one');
    assert.equal(JSON.parse(synced.stdout).committed, true);
    // No change-tracking reader is wired into runs yet: every run is full, and says why.
    assert.deepEqual([JSON.parse(synced.stdout).mode, JSON.parse(synced.stdout).modeReason], ['full', 'server-cannot']);
    const forced = await runCli([...data, 'directory', 'sync', '--full', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual([JSON.parse(forced.stdout).mode, JSON.parse(forced.stdout).modeReason], ['full', 'forced']);
    const text = await runCli([...data, 'directory', 'sync', '--full']);
    assert.match(text.stdout, /Full run: a full run was asked for\./);
    const users = JSON.parse((await runCli([...data, 'users', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      users.map((user) => user.userName),
      ['admin', 'alice', 'bob', 'carol'],
    );
    for (const key of ['userName', 'fullName', 'emailAddresses', 'source', 'authentication', 'disabled', 'privileges', 'archiveAccess']) assert.ok(key in users[0]!, key);
    const runs = JSON.parse((await runCli([...data, 'directory', 'runs', '--json'])).stdout) as Array<{
      id: number;
      status: string;
      counts: { created: number };
      mode: string;
      modeReason: string;
    }>;
    assert.deepEqual(
      runs.map((run) => `${run.status} ${run.mode} ${run.modeReason}`),
      ['committed full forced', 'committed full forced', 'committed full server-cannot'],
    );
    assert.equal(runs[2]!.counts.created, 3);
    assert.match((await runCli([...data, 'directory', 'runs'])).stdout, /full \(forced\)/);
    const run = JSON.parse((await runCli([...data, 'directory', 'runs', String(runs[2]!.id), '--json'])).stdout) as { changes: Array<{ userName: string; action: string }> };
    assert.deepEqual(run.changes.map((change) => `${change.action} ${change.userName}`).sort(), ['created alice', 'created bob', 'created carol']);
  });

  it('keeps the stored password when a new settings file leaves it out', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    await runCli([...data, 'directory', 'set', settingsFile(openLdapInput(directory))]);
    const withoutPassword = openLdapInput(directory, { groups: { groups: ['Developers'] } }) as { connection: Record<string, unknown> };
    delete withoutPassword.connection.password;
    assert.equal((await runCli([...data, 'directory', 'set', settingsFile(withoutPassword)])).code, 0);
    const synced = await runCli([...data, 'directory', 'sync', '--json']);
    assert.equal(synced.code, 0, synced.stderr);
    assert.equal(JSON.parse(synced.stdout).users.created.length, 3);
  });

  it('refuses invalid settings with exit 2, and sync without settings with exit 1', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    const invalid = await runCli([...data, 'directory', 'set', settingsFile({ connection: { server: 'x' } })]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /users: required/);
    const unconfigured = await runCli([...data, 'directory', 'sync']);
    assert.equal(unconfigured.code, 1);
    assert.match(unconfigured.stderr, /DIRECTORY_NOT_CONFIGURED/);
  });

  it('manages manual users from the command line', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    assert.equal(
      (
        await runCli(
          [...data, 'users', 'add', 'Dana', '--full-name', 'Dana D', '--email', 'dana@example.com', '--password-stdin', '--privilege', 'login', '--privilege', 'archive'],
          { input: 'Dana-Pass-1\n' },
        )
      ).code,
      0,
    );
    assert.equal((await runCli([...data, 'users', 'add', 'dana', '--authentication', 'directory'])).code, 1);
    assert.equal((await runCli([...data, 'users', 'add', 'erin'])).code, 2, 'a local user needs a password');
    assert.equal((await runCli([...data, 'users', 'add', 'erin', '--privilege', 'root', '--authentication', 'directory'])).code, 2);
    const dana = JSON.parse((await runCli([...data, 'users', 'show', 'DANA', '--json'])).stdout);
    assert.deepEqual(dana.privileges, ['login', 'archive']);
    assert.equal(dana.source, 'manual');
    assert.equal('passwordHash' in dana || JSON.stringify(dana).includes('argon2'), false);
    assert.equal((await runCli([...data, 'users', 'remove', 'dana'])).code, 0);
    assert.equal((await runCli([...data, 'users', 'show', 'dana'])).code, 1);
  });
});

for (const backend of BACKENDS) {
  describe(`crash and concurrency on ${backend}`, () => {
    it('leaves the database as before the run when the process is killed between batches', async () => {
      const { store, cliArgs } = await openTestStore(backend);
      await store.close();
      assert.equal((await runCli([...cliArgs, 'directory', 'set', settingsFile(openLdapInput(directory, ALL_STAFF))])).code, 0);
      const killed = await runCli([...cliArgs, 'directory', 'sync'], { env: { ROSTER_FAILPOINT: 'kill-after-first-batch' } });
      assert.notEqual(killed.code, 0);
      const reopened = await Store.open({ dataDir: cliArgs[1]!, databaseUrl: cliArgs[3] });
      try {
        const count = await reopened.db.selectFrom('users').where('source', '=', 'directory').select(reopened.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 0, 'the first batch was not committed');
        assert.equal((await listRuns(reopened.db)).length, 0);
      } finally {
        await reopened.close();
      }
      const again = await runCli([...cliArgs, 'directory', 'sync', '--json']);
      assert.equal(again.code, 0, `the lock of the killed process is taken over: ${again.stderr}`);
      assert.equal(JSON.parse(again.stdout).users.created.length, 600);
    });

    it('refuses a second synchronization from another process while one runs', async () => {
      const { store, cliArgs } = await openTestStore(backend);
      try {
        assert.equal((await runCli([...cliArgs, 'directory', 'set', settingsFile(openLdapInput(directory))])).code, 0);
        const held = await store.acquireSyncLock();
        const second = await runCli([...cliArgs, 'directory', 'sync']);
        await held.release();
        assert.equal(second.code, 1);
        assert.match(second.stderr, /already running.*SYNC_ALREADY_RUNNING/s);
      } finally {
        await store.close();
      }
    });
  });
}
