/**
 * Logins per second and latency at 1, 8 and 32 concurrent logins against a local slapd, next to ldapauth-fork
 * (what passport-ldapauth uses) doing search-and-bind for the same users in the same run.
 * Roster is measured twice: synced users (bind to the stored DN) and manual users with directory
 * authentication (search, then bind: the same work as ldapauth-fork). Besides throughput and latency, each
 * contender is charged the CPU time it used per login, in this process and in slapd: here the two share two
 * cores, so throughput under load is bounded by the sum, while with the directory on its own machine (the usual
 * set-up) the client's share is what limits it. Run: npm run bench:login
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryAccessProvider } from '../src/auth/directory-access.js';
import { Authenticator } from '../src/auth/login.js';
import { validateSettings } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { saveDirectorySettings } from '../src/store/settings.js';
import { Store } from '../src/store/store.js';
import { insertUser } from '../src/store/users.js';
import { runSync } from '../src/sync/run.js';
import { startDirectory, stopAllDirectories } from '../test/helpers/slapd.js';
import { BENCH_BASE, benchLdif, benchUserName } from './generate.js';
import { row } from './harness.js';

const require = createRequire(import.meta.url);
const LdapAuth = require('ldapauth-fork') as new (options: Record<string, unknown>) => {
  authenticate(user: string, password: string, callback: (error: unknown, user?: unknown) => void): void;
  close(callback?: () => void): void;
  on(event: string, listener: (error: unknown) => void): void;
};

const USERS = Number(process.env.BENCH_LOGIN_USERS ?? 10_000);
const PASSWORD = 'Bench-Password-1';
const PER_LEVEL = Number(process.env.BENCH_LOGINS ?? 2_000);

type Login = (userName: string, worker: number) => Promise<void>;

interface Measurement {
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU microseconds per login: this process (the client) and slapd. */
  clientCpu: number;
  serverCpu: number;
}

async function measure(login: Login, concurrency: number): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const serverBefore = directory.cpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < PER_LEVEL) {
        const index = next++;
        const userName = benchUserName(((index * 7919) % USERS) + 1);
        const t = performance.now();
        await login(userName, worker);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverMs = directory.cpuMs() - serverBefore;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: PER_LEVEL / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    clientCpu: (cpu.user + cpu.system) / PER_LEVEL,
    serverCpu: (serverMs * 1000) / PER_LEVEL,
  };
}

const directory = await startDirectory({ flavor: 'openldap', baseDn: BENCH_BASE, ldif: benchLdif(USERS, 10), quiet: true });
const store = await Store.open({ dataDir: mkdtempSync(join(tmpdir(), 'roster-bench-login-')) });
const settings = validateSettings({
  preset: 'openldap',
  connection: { server: `127.0.0.1:${directory.port}`, administrativeDn: directory.serviceDn, password: directory.servicePassword, baseDn: BENCH_BASE },
  groups: { groups: [] },
});
await saveDirectorySettings(store.db, store.secrets, settings);
await runSync(store, settings, { trigger: 'bench' });
const manualStore = await Store.open({ dataDir: mkdtempSync(join(tmpdir(), 'roster-bench-login-manual-')) });
await saveDirectorySettings(manualStore.db, manualStore.secrets, settings);
for (let i = 1; i <= USERS; i++) {
  await insertUser(
    manualStore.db,
    {
      userName: benchUserName(i),
      fullName: '',
      emailAddresses: [],
      source: 'manual',
      authentication: 'directory',
      disabled: false,
      privileges: ['login'],
      archiveAccess: [],
      dn: null,
      stableId: null,
    },
    null,
  );
}

const log = createLogger({ level: 'silent' });
const synced = new DirectoryAccessProvider(store);
const manual = new DirectoryAccessProvider(manualStore);
const rosterSynced = new Authenticator(store, synced, log);
const rosterManual = new Authenticator(manualStore, manual, log);
// One ldapauth-fork instance per concurrent worker: a single shared instance loses callbacks when logins overlap
// (seen here: 4 of 40 concurrent authenticate() calls never answered), so each worker gets its own.
const ldapauthInstances = Array.from({ length: 32 }, () => {
  const instance = new LdapAuth({
    url: `ldap://127.0.0.1:${directory.port}`,
    bindDN: directory.serviceDn,
    bindCredentials: directory.servicePassword,
    searchBase: BENCH_BASE,
    searchFilter: '(uid={{username}})',
  });
  instance.on('error', (error) => console.error('ldapauth-fork error', error));
  return instance;
});

const contenders: Array<[string, Login]> = [
  [
    'ldapauth-fork (search + bind)',
    (userName, worker) => new Promise((resolve, reject) => ldapauthInstances[worker]!.authenticate(userName, PASSWORD, (error) => (error ? reject(error) : resolve()))),
  ],
  ['roster, synced user (bind)', async (userName) => void (await rosterSynced.login({ userName, password: PASSWORD }))],
  ['roster, manual directory user (search + bind)', async (userName) => void (await rosterManual.login({ userName, password: PASSWORD }))],
];

try {
  console.log(`${USERS} users in the directory, ${PER_LEVEL} successful logins per measurement`);
  console.log(row(['contender', 'concurrency', 'logins/s', 'p50 ms', 'p99 ms', 'vs ldapauth', 'client µs', 'slapd µs', 'client vs']));
  for (const concurrency of [1, 8, 32]) {
    let baseline: Measurement | undefined;
    for (const [name, login] of contenders) {
      await measure(login, concurrency); // warm-up: connections, caches
      const result = await measure(login, concurrency);
      baseline ??= result;
      console.log(
        row([
          name,
          concurrency,
          result.perSecond.toFixed(0),
          result.p50.toFixed(2),
          result.p99.toFixed(2),
          (result.perSecond / baseline.perSecond).toFixed(2) + 'x',
          result.clientCpu.toFixed(0),
          result.serverCpu.toFixed(0),
          (baseline.clientCpu / result.clientCpu).toFixed(2) + 'x',
        ]),
      );
    }
  }
} finally {
  for (const instance of ldapauthInstances) instance.close();
  await synced.close();
  await manual.close();
  await store.close();
  await manualStore.close();
  await stopAllDirectories();
}
