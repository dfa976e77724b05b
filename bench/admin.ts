/**
 * Administration at 100,000 users (issue #13): the server time of the console's and the API's pages on a database
 * holding BENCH_USERS users (default 100,000) and a first run that created them all. Each request is sent
 * BENCH_REPEATS times (default 40) through Fastify's inject() (no network: the time is the server's) and reported as
 * p50 / p95. Target: p95 under 100 ms for pages and searches.
 * Run: npm run bench:admin; BENCH_DATABASE_URL=postgres://... measures PostgreSQL as well.
 * Explain and single-user sync read the whole directory: they are measured (BENCH_EXPLAIN_REPEATS times, default 5)
 * against a slapd holding the same number of users (bench/generate.ts), after a first sync; BENCH_EXPLAIN=0 skips it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { RosterApp } from '../src/app.js';
import { buildServer } from '../src/api/server.js';
import { createLogger } from '../src/log.js';
import type { User } from '../src/model.js';
import { insertMany } from '../src/store/bulk.js';
import { recordRun, type RunChange } from '../src/store/runs.js';
import { userRow } from '../src/store/users.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 40);
const PASSWORD = 'Bench-Admin-Password-1';
const FIRST = ['Anna', 'Bernd', 'Clara', 'David', 'Emil', 'Frieda', 'Gustav', 'Hanna', 'Ingo', 'Jana', 'Karl', 'Lena', 'Max', 'Nora', 'Otto', 'Paula'];
const LAST = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf'];

/** A directory user like a sync creates; names and domains vary so that searches match a realistic share. */
export function benchUser(index: number): User {
  const first = FIRST[index % FIRST.length]!;
  const last = LAST[Math.floor(index / FIRST.length) % LAST.length]!;
  const userName = `u${String(index).padStart(6, '0')}`;
  return {
    userName,
    fullName: `${first} ${last} ${index}`,
    emailAddresses: [`${userName}@bench.example`, `${first}.${last}${index}@dept${index % 50}.bench.example`.toLowerCase()],
    source: 'directory',
    authentication: 'directory',
    disabled: index % 97 === 0,
    privileges: Object.freeze(['login']) as User['privileges'],
    archiveAccess: Object.freeze(['read']) as User['archiveAccess'],
    dn: `uid=${userName},ou=people,dc=bench,dc=example`,
    stableId: `entryUUID:00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
  };
}

function* users(): Generator<ReturnType<typeof userRow>> {
  const now = new Date().toISOString();
  for (let index = 1; index <= USERS; index++) yield userRow(benchUser(index), now);
}

function* changes(): Generator<RunChange> {
  for (let index = 1; index <= USERS; index++) {
    const user = benchUser(index);
    if (index % 10 === 0) yield { userName: user.userName, action: 'updated', detail: { fullName: { from: `Old ${index}`, to: user.fullName } } };
    else yield { userName: user.userName, action: 'created', detail: { fullName: user.fullName, emailAddresses: user.emailAddresses, dn: user.dn } };
  }
}

async function postgresUrl(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `roster_bench_admin_${process.pid}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const drop = async () => {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };
  return { url: `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, drop };
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

type Inject = (url: string) => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>;

/** Explain's requests read the whole directory: fewer of them, one to warm up. */
async function measure(name: string, inject: Inject, url: string | (() => string), { repeats = REPEATS, warmups = 3 } = {}): Promise<void> {
  const times: number[] = [];
  for (let repeat = 0; repeat < repeats + warmups; repeat++) {
    const target = typeof url === 'string' ? url : url();
    const started = performance.now();
    const response = await inject(target);
    const ms = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`${target}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    if (repeat >= warmups) times.push(ms); // the first ones warm the statement caches
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} p50 ${percentile(times, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(times, 0.95).toFixed(1).padStart(7)} ms`);
}

async function benchDatabase(label: string, databaseUrl?: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-bench-admin-'));
  process.env.ROSTER_ADMIN_PASSWORD = PASSWORD;
  const app = await RosterApp.open({ dataDir, databaseUrl, log: createLogger({ level: 'silent' }) });
  try {
    const loadStarted = performance.now();
    await app.ensureAdministrator();
    await insertMany(app.store.db, 'users', users());
    const runId = await recordRun(
      app.store.db,
      {
        startedAt: new Date().toISOString(),
        trigger: 'bench',
        status: 'committed',
        settingsFingerprint: 'bench',
        durationMs: 0,
        counts: { created: USERS - USERS / 10, updated: USERS / 10, deleted: 0, outOfScope: 0, unchanged: 0 },
        warnings: [],
      },
      changes(),
    );
    console.log(`\n${label}: ${USERS} users and a run of ${USERS} changes loaded in ${Math.round(performance.now() - loadStarted)} ms; ${REPEATS} requests each`);
    const server = await buildServer(app);
    const login = await server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: PASSWORD } });
    const token = login.json().token as string;
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const api: Inject = async (url) => server.inject({ url, headers: { authorization: `Bearer ${token}` } });
    const consolePage: Inject = async (url) => server.inject({ url, headers: { cookie } });
    const consoleFragment =
      (target: string): Inject =>
      async (url) =>
        server.inject({ url, headers: { cookie, 'hx-request': 'true', 'hx-target': target } });
    const middle = `u${String(Math.floor(USERS / 2)).padStart(6, '0')}`;
    await measure('API users, first page', api, '/api/users');
    await measure('API users, a page in the middle', api, `/api/users?after=${middle}`);
    await measure('API users, search "schmidt" (6%)', api, '/api/users?q=schmidt');
    await measure('API users, search "schmidt", next page', api, nextOf(await api('/api/users?q=schmidt')));
    await measure('API users, search "u04321" (1 match)', api, '/api/users?q=u04321');
    await measure('API users, search "dept7." + filters', api, '/api/users?q=dept7.&source=directory&disabled=false');
    await measure('API users, limit 1000', api, '/api/users?limit=1000');
    await measure('console users page', consolePage, '/users');
    await measure('console live search (list only)', consoleFragment('users-list'), '/users?q=hoffmann');
    await measure('API run changes, first page', api, `/api/directory/runs/${runId}/changes`);
    await measure('API run changes, page in the middle', api, `/api/directory/runs/${runId}/changes?after=${USERS / 2}`);
    await measure('API run changes, action=updated', api, `/api/directory/runs/${runId}/changes?action=updated`);
    await measure('API run changes, q="u0999"', api, `/api/directory/runs/${runId}/changes?q=u0999`);
    await measure('console run page', consolePage, `/runs/${runId}`);
    await measure('console run page, filter updated + name', consoleFragment('changes-list'), `/runs/${runId}?action=updated&q=u05`);
    await server.close();
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const EXPLAIN_REPEATS = Number(process.env.BENCH_EXPLAIN_REPEATS ?? 5);

/** Explain and synchronize-one-user on a directory of USERS users (SQLite), after a first full sync. */
async function benchExplain(): Promise<void> {
  const { startBenchDirectory, VARIANTS } = await import('./harness.js');
  const { stopAllDirectories } = await import('../test/helpers/slapd.js');
  const directory = await startBenchDirectory();
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-bench-admin-'));
  process.env.ROSTER_ADMIN_PASSWORD = PASSWORD;
  const app = await RosterApp.open({ dataDir, log: createLogger({ level: 'silent' }) });
  try {
    await app.ensureAdministrator();
    const { saveSettings, syncNow } = await import('../src/admin/directory.js');
    const variant = VARIANTS['memberUid + {member} (posixGroup)'];
    await saveSettings(app, {
      preset: 'openldap',
      connection: { server: `127.0.0.1:${directory.port}`, administrativeDn: directory.serviceDn, password: directory.servicePassword, baseDn: directory.baseDn },
      groups: { filter: variant.filter, groups: [...variant.groups] },
    });
    const firstSync = performance.now();
    await syncNow(app, { trigger: 'bench' });
    console.log(`\nExplain on ${USERS} directory users (SQLite; first sync ${Math.round(performance.now() - firstSync)} ms); ${EXPLAIN_REPEATS} requests each`);
    const server = await buildServer(app);
    const login = await server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: PASSWORD } });
    const authorization = `Bearer ${login.json().token as string}`;
    const middle = `u${String(Math.floor(USERS / 2)).padStart(6, '0')}`;
    const explain = async (url: string) => server.inject({ url, headers: { authorization } });
    const single = async (url: string) => server.inject({ method: 'POST', url, headers: { authorization } });
    const few = { repeats: EXPLAIN_REPEATS, warmups: 1 };
    await measure(`API explain ${middle}`, explain, `/api/directory/explain/${middle}`, few);
    await measure('API explain, a name nobody has', explain, '/api/directory/explain/nobody-at-all', few);
    await measure(`API sync ?user=${middle}`, single, `/api/directory/sync?user=${middle}`, few);
    await server.close();
  } finally {
    await app.close();
    await stopAllDirectories();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function nextOf(response: { headers: Record<string, unknown> }): string {
  const link = String(response.headers.link ?? '');
  const target = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  if (!target) throw new Error(`no next link: ${link}`);
  return target;
}

if (!process.env.BENCH_SKIP_SQLITE) await benchDatabase('SQLite');
if (process.env.BENCH_DATABASE_URL) {
  const { url, drop } = await postgresUrl(process.env.BENCH_DATABASE_URL);
  try {
    await benchDatabase('PostgreSQL', url);
  } finally {
    await drop();
  }
}
if (process.env.BENCH_EXPLAIN !== '0') await benchExplain();
