/**
 * Issue #16 end to end: three `roster serve` processes on one PostgreSQL schema, started together on a fresh
 * schema, a schedule every second, the instance holding the sync lock killed with SIGKILL in the middle of its
 * write transaction; the survivors take over, the schedule goes on, and users log on through them.
 *
 * The kill lands mid-write deterministically: the test holds an EXCLUSIVE lock on sync_runs, so the first run
 * writes every user and then waits, inside its transaction, to record itself (PostgreSQL's pg_locks shows it
 * waiting). Nothing in Roster knows about the test.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { OPENLDAP_BASE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { dropTestSchemas } from '../helpers/store.js';

const BIN = fileURLToPath(new URL('../../bin/roster.js', import.meta.url));
const POSTGRES = process.env.ROSTER_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const NAMES = ['node-a', 'node-b', 'node-c'];

interface Instance {
  name: string;
  dataDir: string;
  child: ChildProcess;
  url: string;
  stderr: string;
  /** The JSON log lines written so far. */
  logs: Array<Record<string, unknown>>;
  exited: boolean;
}

let directory: TestDirectory;
let schema: string;
let databaseUrl: string;
let sql: pg.Client;
const instances: Instance[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function startInstance(name: string): Promise<Instance> {
  const env = { ...process.env, ROSTER_INSTANCE: name, ROSTER_SECRET_KEY: 'one key shared by every instance', ROSTER_ADMIN_PASSWORD: '', ROSTER_LOG_LEVEL: 'debug' };
  const dataDir = mkdtempSync(join(tmpdir(), `roster-${name}-`));
  const child = spawn(process.execPath, [BIN, '--data', dataDir, '--database-url', databaseUrl, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const instance: Instance = { name, dataDir, child, url: '', stderr: '', logs: [], exited: false };
  // Known to after() from the start: a sibling failing to start must not leave this one running.
  instances.push(instance);
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) instance.logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.on('exit', () => (instance.exited = true));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      instance.stderr += chunk.toString('utf8');
      const listening = /listening on (http:\/\/\S+\/) \(console\)/.exec(instance.stderr);
      if (listening && !instance.url) resolve(Object.assign(instance, { url: listening[1]! }));
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code} before listening: ${instance.stderr}`)));
  });
}

async function api(instance: Instance, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path.replace(/^\//, ''), instance.url), {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function logOn(instance: Instance, userName: string, password: string): Promise<string> {
  const response = await api(instance, '/api/login', { method: 'POST', body: { userName, password } });
  assert.equal(response.status, 200, `${userName} on ${instance.name}: ${JSON.stringify(response.body)}`);
  return response.body.token as string;
}

async function count(query: string): Promise<number> {
  return Number((await sql.query<{ n: string }>(query)).rows[0]!.n);
}

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  schema = `roster_test_${process.pid}_multi`;
  sql = new pg.Client({ connectionString: POSTGRES });
  await sql.connect();
  await sql.query(`CREATE SCHEMA ${schema}`);
  await sql.query(`SET search_path = ${schema}`);
  databaseUrl = `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
});

after(async () => {
  for (const instance of instances) if (!instance.exited) instance.child.kill('SIGTERM');
  await waitFor('the instances to stop', () => instances.every((instance) => instance.exited), 10_000).catch(() => {
    for (const instance of instances) if (!instance.exited) instance.child.kill('SIGKILL');
  });
  for (const instance of instances) rmSync(instance.dataDir, { recursive: true, force: true });
  await sql.end();
  await dropTestSchemas();
  await stopAllDirectories();
});

describe('three instances on one PostgreSQL', () => {
  let adminPassword: string;
  let directoryUsers: number;
  let killed: Instance;

  it('start together on a fresh schema: all stay up, one administrator, its password printed by one of them', async () => {
    await Promise.all(NAMES.map(startInstance));
    const notices = instances.filter((instance) => /Created the administrator/.test(instance.stderr));
    assert.equal(notices.length, 1, instances.map((instance) => `${instance.name}: ${instance.stderr}`).join('\n'));
    adminPassword = /Created the administrator "admin" with the password: (\S+)/.exec(notices[0]!.stderr)![1]!;
    assert.equal(await count(`select count(*) as n from users where privileges like '%"admin"%'`), 1);
    await sleep(500);
    assert.ok(
      instances.every((instance) => !instance.exited),
      'no instance died',
    );
    for (const instance of instances) assert.equal((await api(instance, '/api/health')).body.instance, instance.name);
  });

  it('gives the schedule to every instance and runs a tick on one of them', async () => {
    await sql.query('BEGIN');
    // Holds the first run inside its write transaction: every user written, the run not yet recorded.
    await sql.query('LOCK TABLE sync_runs IN EXCLUSIVE MODE');
    const token = await logOn(instances[0]!, 'admin', adminPassword);
    const put = await api(instances[0]!, '/api/directory/settings', { method: 'PUT', token, body: openLdapInput(directory, { schedule: '* * * * * *' }) });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    for (const instance of instances) {
      await waitFor(`the schedule on ${instance.name}`, async () => (await api(instance, '/api/health')).body.nextScheduledSync ?? undefined, 10_000);
    }
    await waitFor(
      'a run waiting inside its transaction',
      async () => (await count(`select count(*) as n from pg_locks where relation = '${schema}.sync_runs'::regclass and not granted`)) > 0,
    );
    const health = await api(instances[1]!, '/api/health');
    const lock = health.body.syncLock as { instance: string; since: string; pid: number };
    assert.ok(NAMES.includes(lock.instance), JSON.stringify(health.body));
    assert.ok(Date.now() - Date.parse(lock.since) < 30_000);
    killed = instances.find((instance) => instance.name === lock.instance)!;
    assert.equal(killed.child.pid, lock.pid);
    const metrics = await (await fetch(new URL('metrics', instances[2]!.url))).text();
    assert.match(metrics, new RegExp(`roster_sync_lock_held\\{holder="${lock.instance}"\\} 1`));
  });

  it('loses nothing and applies nothing half when the lock holder is killed mid-write', async () => {
    killed.child.kill('SIGKILL');
    await waitFor('the holder to die', () => killed.exited);
    assert.equal(await count(`select count(*) as n from users where source = 'directory'`), 0, 'its uncommitted users are invisible');
    await sql.query('ROLLBACK');
    // Until a survivor commits, there are no directory users at all; then all of them, never a part.
    directoryUsers = await waitFor('a survivor to commit the first run', async () => {
      // One statement, one snapshot: the users and the runs that created them, seen at the same instant.
      const { rows } = await sql.query<{ users: string; runs: string; created: string | null }>(
        `select (select count(*) from users where source = 'directory') as users,
                (select count(*) from sync_runs where status = 'committed' and counts::json->>'created' <> '0') as runs,
                (select sum((counts::json->>'created')::int) from sync_runs where status = 'committed') as created`,
      );
      const seen = { users: Number(rows[0]!.users), runs: Number(rows[0]!.runs), created: Number(rows[0]!.created ?? 0) };
      if (seen.runs === 0) {
        assert.equal(seen.users, 0, 'users without a committed run');
        return undefined;
      }
      assert.equal(seen.runs, 1, 'the users were created by one run');
      assert.equal(seen.users, seen.created, 'all the users of the committed run');
      return seen.users;
    });
    assert.ok(directoryUsers > 600, `${directoryUsers} directory users`);
    assert.equal(await count(`select count(*) as n from sync_runs where instance = '${killed.name}'`), 0, 'the killed run recorded nothing');
  });

  it('goes on with the schedule on the survivors, one run per tick, skipped ticks only at debug level', async () => {
    const survivors = instances.filter((instance) => instance !== killed);
    const firstCommitted = await count(`select max(id) as n from sync_runs where status = 'committed'`);
    await waitFor(
      'three more scheduled runs',
      async () => (await count(`select count(*) as n from sync_runs where trigger = 'schedule' and status = 'committed' and id > ${firstCommitted}`)) >= 3 || undefined,
    );
    const runs = (await sql.query<{ status: string; instance: string }>(`select status, instance from sync_runs order by id`)).rows;
    assert.deepEqual(
      runs.filter((run) => run.status !== 'committed'),
      [],
      'no run was refused or failed',
    );
    assert.ok(runs.every((run) => survivors.some((survivor) => survivor.name === run.instance)));
    const commits = survivors.flatMap((instance) => instance.logs.filter((line) => line.msg === 'scheduled synchronization committed'));
    const ticks = commits.map((line) => line.tick as string);
    assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join(', ')}`);
    for (const instance of survivors) {
      assert.deepEqual(
        instance.logs.filter((line) => (line.level as number) >= 50),
        [],
        `${instance.name} logged no error`,
      );
      assert.ok(
        instance.logs.every((line) => line.instance === instance.name),
        'every log line names its instance',
      );
    }
    const skipped = survivors.flatMap((instance) => instance.logs.filter((line) => line.msg === 'scheduled tick served elsewhere'));
    assert.ok(skipped.length > 0 && skipped.every((line) => line.level === 20), 'ticks served elsewhere are logged at debug level');
    const health = (await api(survivors[0]!, '/api/health')).body;
    const last = health.lastScheduledSync as { instance: string; committedAt: string };
    assert.ok(
      survivors.some((survivor) => survivor.name === last.instance),
      JSON.stringify(health),
    );
    assert.ok(Date.now() - Date.parse(last.committedAt) < 10_000);
    assert.ok(survivors.every((instance) => !instance.exited));
  });

  it('logs users on through every survivor, and a session from one works on the other', async () => {
    const survivors = instances.filter((candidate) => candidate !== killed);
    for (const instance of survivors) {
      await logOn(instance, 'admin', adminPassword);
      const token = await logOn(instance, 'alice', USER_PASSWORD);
      for (const other of survivors) {
        const me = await api(other, '/api/me', { token });
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.equal(me.body.userName, 'alice');
      }
    }
  });
});
