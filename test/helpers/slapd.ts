/**
 * Throwaway OpenLDAP servers for tests: a temp dir, free loopback ports, a self-signed CA, plain + StartTLS
 * and LDAPS listeners, LDIF loaded with `slapadd -q`, a service account with a low size limit so paging is
 * really exercised, and cleanup even when a test fails. Never touches the system's slapd configuration.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates, type TestCertificates } from './tls.js';
import { patchedMsUserSchema } from './ad-schema.js';
import { ldapModifyClient, type AdminClient } from './ldap-admin.js';

export const SLAPD = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((path) => existsSync(path));
const SLAPADD = ['/usr/sbin/slapadd'].find((path) => existsSync(path));
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';

export type DirectoryFlavor = 'openldap' | 'ad';

export interface StartOptions {
  flavor: DirectoryFlavor;
  baseDn: string;
  ldif: string;
  /** Size limit of the service account (default 500): below the number of users, to exercise paging. */
  serviceSizeLimit?: number;
  /** Total entries a paged search of the "limited" account may return (to provoke a size-limit error). */
  limitedTotal?: number;
  /**
   * No per-operation log (benchmarks): what a production slapd runs with. Tests keep the stats log, which
   * `bindCount` reads; it costs the server a formatted write per operation.
   */
  quiet?: boolean;
  /** Global slapd.conf lines after the standard ones (`moduleload retcode`, `referral ...`). */
  globalConfig?: string;
  /** Lines after the main database's, e.g. overlays (`overlay retcode`, `overlay syncprov`). */
  databaseConfig?: string;
  /** Further (empty) naming contexts, each an mdb database of its own: a root DSE listing several contexts. */
  extraSuffixes?: string[];
}

export interface TestDirectory {
  host: string;
  port: number;
  tlsPort: number;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  serviceDn: string;
  servicePassword: string;
  limitedDn: string;
  limitedPassword: string;
  certificates: TestCertificates;
  dir: string;
  /** CPU time (user + system, ms) the server has used so far: benchmarks charge each contender its share. */
  cpuMs(): number;
  logFile: string;
  /** BIND requests the server logged so far, optionally only those for one DN. */
  bindCount(dn?: string): number;
  pause(): void;
  /** SIGKILL: the server vanishes at once, mid-operation. */
  kill(): void;
  resume(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function sshaPassword(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return '{SSHA}' + Buffer.concat([digest, salt]).toString('base64');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`slapd did not open port ${port}`);
}

function slapdConfig(dir: string, options: StartOptions, certificates: TestCertificates, accounts: { admin: string; service: string; limited: string }): string {
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((name) => `include ${SCHEMA_DIR}/${name}.schema`);
  if (options.flavor === 'ad') {
    writeFileSync(join(dir, 'msuser-patched.schema'), patchedMsUserSchema(readFileSync(join(SCHEMA_DIR, 'msuser.schema'), 'utf8')));
    schemas.push(`include ${join(dir, 'msuser-patched.schema')}`);
  }
  const adIndexes = options.flavor === 'ad' ? 'index sAMAccountName,userPrincipalName eq\n' : '';
  return `${schemas.join('\n')}
pidfile ${join(dir, 'slapd.pid')}
argsfile ${join(dir, 'slapd.args')}
modulepath ${MODULE_DIR}
moduleload back_mdb
TLSCACertificateFile ${certificates.caFile}
TLSCertificateFile ${certificates.certFile}
TLSCertificateKeyFile ${certificates.keyFile}
sizelimit 500
${options.globalConfig ?? ''}
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read

database mdb
maxsize 2147483648
suffix "${options.baseDn}"
rootdn "${accounts.admin}"
rootpw secret
directory ${join(dir, 'db')}
index objectClass,uid,cn,memberUid,member,mail,entryUUID eq
${adIndexes}limits dn.exact="${accounts.service}" size.soft=${options.serviceSizeLimit ?? 500} size.hard=${options.serviceSizeLimit ?? 500} size.prtotal=unlimited
limits dn.exact="${accounts.limited}" size.soft=50 size.hard=50 size.prtotal=${options.limitedTotal ?? 60}
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by * none
${options.databaseConfig ?? ''}
${(options.extraSuffixes ?? []).map((suffix, index) => extraDatabase(dir, suffix, index)).join('\n')}`;
}

function extraDatabase(dir: string, suffix: string, index: number): string {
  const directory = join(dir, `db-extra-${index}`);
  mkdirSync(directory, { recursive: true });
  return `database mdb\nmaxsize 16777216\nsuffix "${suffix}"\ndirectory ${directory}\n`;
}

function serviceAccountsLdif(baseDn: string, accounts: { service: string; limited: string }, password: string): string {
  const entry = (dn: string) =>
    `dn: ${dn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: ${/^cn=([^,]+)/i.exec(dn)![1]}\nuserPassword: ${sshaPassword(password)}\n`;
  return `dn: ou=services,${baseDn}\nobjectClass: organizationalUnit\nou: services\n\n${entry(accounts.service)}\n${entry(accounts.limited)}\n`;
}

export async function startDirectory(options: StartOptions): Promise<TestDirectory> {
  if (!SLAPD || !SLAPADD) throw new Error('slapd is not installed: run `apt-get install slapd ldap-utils` (npm test does it when run as root).');
  const dir = mkdtempSync(join(tmpdir(), 'roster-slapd-'));
  mkdirSync(join(dir, 'db'));
  const certificates = makeCertificates(join(dir, 'tls'));
  const accounts = { admin: `cn=admin,${options.baseDn}`, service: `cn=roster,ou=services,${options.baseDn}`, limited: `cn=limited,ou=services,${options.baseDn}` };
  const servicePassword = 'service-secret';
  const configFile = join(dir, 'slapd.conf');
  writeFileSync(configFile, slapdConfig(dir, options, certificates, accounts));
  const ldifFile = join(dir, 'data.ldif');
  writeFileSync(ldifFile, options.ldif + '\n' + serviceAccountsLdif(options.baseDn, accounts, servicePassword));
  execFileSync(SLAPADD, ['-q', '-f', configFile, '-l', ldifFile], { stdio: 'pipe' });
  const logFile = join(dir, 'slapd.log');
  let child: ChildProcess | undefined;
  let port = 0;
  let tlsPort = 0;

  const start = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      port = port || (await freePort());
      tlsPort = tlsPort || (await freePort());
      const log = await import('node:fs').then((fs) => fs.openSync(logFile, 'a'));
      child = spawn(SLAPD, ['-d', options.quiet ? '0' : 'stats', '-f', configFile, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`], {
        stdio: ['ignore', log, log],
      });
      try {
        await waitForPort(port, child, logFile);
        await waitForPort(tlsPort, child, logFile);
        return;
      } catch (error) {
        child.kill('SIGKILL');
        if (attempt >= 2) throw error;
        port = 0;
        tlsPort = 0;
      }
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGCONT');
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
      setTimeout(() => running.kill('SIGKILL'), 3000).unref();
    });
  };

  await start();
  const directory: TestDirectory = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    baseDn: options.baseDn,
    adminDn: accounts.admin,
    adminPassword: 'secret',
    serviceDn: accounts.service,
    servicePassword,
    limitedDn: accounts.limited,
    limitedPassword: servicePassword,
    certificates,
    dir,
    logFile,
    cpuMs() {
      if (!child?.pid) return 0;
      // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, counted after the ") " ending the name.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const ticksPerSecond = 100;
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
    },
    bindCount(dn?: string) {
      // slapd logs a request line (`BIND dn="..." method=128`) and, on success, a result line: count requests.
      const lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => / BIND dn=".*" method=/.test(line));
      return dn === undefined ? lines.length : lines.filter((line) => line.toLowerCase().includes(`dn="${dn.toLowerCase()}"`)).length;
    },
    pause: () => {
      // Returns only once the kernel shows the process stopped, so the next request surely finds it frozen.
      if (!child?.pid || !child.kill('SIGSTOP')) return;
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && !/^\d+ \(.*\) T /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))) {
        // spin: the caller may be a synchronous callback
      }
    },
    kill: () => child?.kill('SIGKILL'),
    resume: () => child?.kill('SIGCONT'),
    stop,
    start,
  };
  const cleanup = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(cleanup);
  return directory;
}

const cleanups: Array<() => Promise<void>> = [];

/** Stops every directory started by this process; called from `after()` hooks and on exit. */
export async function stopAllDirectories(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
}

process.once('exit', () => {
  for (const cleanup of cleanups) void cleanup();
});
// A process ended by a signal runs no 'exit' handlers: stop the directories first, or slapd outlives it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllDirectories().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}

/** A client acting as the directory's root DN (OpenLDAP's ldapmodify), for tests that change the directory. */
export async function adminClient(directory: TestDirectory): Promise<AdminClient> {
  return ldapModifyClient(directory);
}
