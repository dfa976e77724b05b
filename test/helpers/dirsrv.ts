/**
 * Throwaway 389 Directory Server instances for tests: a unique instance name per run, free loopback ports,
 * created with lib389 (test/fixtures/dirsrv-create.py: dscreate would ask systemctl to start it), its
 * self-signed CA for LDAPS, run in the foreground by the test (`ns-slapd -d 0`) and removed afterwards.
 * 389-DS finds instances only under /etc/dirsrv/slapd-NAME, so that and its /var directories are created
 * and deleted here; nothing else of the system is touched.
 *
 * Creation takes ~11 s on 2 shared cores, most of it the NSS certificate database and the self-signed
 * certificates (~4.5 s without TLS). One instance serves a whole test file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort } from './slapd.js';

const NS_SLAPD = '/usr/sbin/ns-slapd';
/** Debian installs lib389 for the system interpreter only. */
const PYTHON = '/usr/bin/python3';
const CREATE_SCRIPT = fileURLToPath(new URL('../fixtures/dirsrv-create.py', import.meta.url));
const MANAGER_DN = 'cn=Directory Manager';
const SHARED_CA_DIR = '/etc/dirsrv/ssca';
const MANAGER_PASSWORD = 'Directory-Manager-1';

/** Why a 389 instance cannot be created here, or undefined when it can. */
export function dirsrvSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (instances live under /etc/dirsrv); CI runs as root';
  const missing = [NS_SLAPD, PYTHON, '/usr/lib/python3/dist-packages/lib389', '/usr/bin/ldapadd'].filter((path) => !existsSync(path));
  if (missing.length > 0) return `missing ${missing.join(', ')} (apt-get install 389-ds-base ldap-utils)`;
  return undefined;
}

export interface DirectoryServer389 {
  readonly name: string;
  readonly port: number;
  readonly tlsPort: number;
  readonly baseDn: string;
  /** The instance's self-signed CA (its server certificate names `localhost`). */
  readonly caFile: string;
  readonly managerDn: string;
  readonly managerPassword: string;
  /** Adds or modifies entries as Directory Manager (`ldapmodify -a`). */
  modify(ldif: string): void;
  /** Stops the server, lets `edit` change its dse.ldif (cn=config as LDIF), and starts it again. */
  restart(edit?: (dseLdif: string) => string): Promise<void>;
  stop(): Promise<void>;
}

function instanceInf(name: string, port: number, tlsPort: number, baseDn: string): string {
  return `[general]
full_machine_name = localhost
start = False
strict_host_checking = False
[slapd]
instance_name = ${name}
port = ${port}
secure_port = ${tlsPort}
root_dn = ${MANAGER_DN}
root_password = ${MANAGER_PASSWORD}
self_sign_cert = True
systemd = False
[backend-userroot]
suffix = ${baseDn}
create_suffix_entry = True
sample_entries = no
`;
}

/**
 * 389-DS 2.x adds entryUUID to new entries, and Roster prefers entryUUID as the stable id; servers before 2.0
 * (RHEL 8's 1.4) have only nsUniqueId. The plugin is switched off so that nsUniqueId is the id under test.
 */
function withoutEntryUuid(dseLdif: string): string {
  return dseLdif.replace(/(dn: cn=entryuuid,cn=plugins,cn=config\n(?:.+\n)*?)nsslapd-pluginEnabled: on/i, '$1nsslapd-pluginEnabled: off');
}

/**
 * Test files run in parallel processes (node --test), and lib389 creates the shared CA in /etc/dirsrv/ssca when it
 * is missing: two creations at once, or a creation while another process removes it, fail in certutil (seen with
 * three 389 suites in one run). One creation or removal at a time, across processes: a lock directory (mkdir is
 * atomic) holding the owner's pid, taken over when that process is gone.
 */
const CREATION_LOCK = '/run/lock/roster-dirsrv-create';

function withCreationLock<T>(action: () => T): T {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(CREATION_LOCK);
      writeFileSync(join(CREATION_LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockOwnerAlive()) rmSync(CREATION_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${CREATION_LOCK} is held by another process for too long`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return action();
  } finally {
    rmSync(CREATION_LOCK, { recursive: true, force: true });
  }
}

function lockOwnerAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(CREATION_LOCK, 'pid'), 'utf8'));
  } catch {
    // Just made, its pid not written yet: alive.
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ns-slapd exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`ns-slapd did not open port ${port}`);
}

function instancePaths(name: string): string[] {
  const instance = `slapd-${name}`;
  return [
    `/etc/dirsrv/${instance}`,
    `/var/lib/dirsrv/${instance}`,
    `/var/lock/dirsrv/${instance}`,
    `/var/log/dirsrv/${instance}`,
    `/run/dirsrv/${instance}.pid`,
    `/run/${instance}.socket`,
    `/etc/sysconfig/dirsrv-${name}`,
  ];
}

/**
 * RFC 4533 content synchronization on 389: the Content Synchronization plugin reads what changed from the Retro
 * Changelog, which must record each changed entry's nsUniqueId as targetUniqueId (sync_read_entry_from_changelog
 * in 389-ds-base's plugins/sync/sync_refresh.c gives up on a changelog entry without it; FreeIPA configures the
 * same). Both are enabled in dse.ldif before the first start, so no restart is needed.
 */
function withContentSync(dseLdif: string): string {
  const enable = (text: string, cn: string, extra = '') =>
    text.replace(new RegExp(`(dn: cn=${cn},cn=plugins,cn=config\n(?:.+\n)*?)nsslapd-pluginEnabled: off\n`, 'i'), `$1nsslapd-pluginEnabled: on\n${extra}`);
  return enable(enable(dseLdif, 'Retro Changelog Plugin', 'nsslapd-attribute: nsuniqueid:targetUniqueId\n'), 'Content Synchronization');
}

export interface Start389Options {
  readonly baseDn: string;
  readonly ldif: string;
  /** Enables the Content Synchronization plugin and the Retro Changelog it reads (see withContentSync). */
  readonly contentSync?: boolean;
}

export async function start389(options: Start389Options): Promise<DirectoryServer389> {
  const name = `roster${process.pid}${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'roster-389-'));
  const port = await freePort();
  const tlsPort = await freePort();
  let child: ChildProcess | undefined;
  // lib389 keeps the self-signed CA of all instances in /etc/dirsrv/ssca: removed too when this run made it, under
  // the creation lock, so that no creation in another test process finds it half there.
  let madeCaDirectory = false;
  const removeFiles = () =>
    withCreationLock(() => {
      for (const path of [...instancePaths(name), dir, ...(madeCaDirectory ? [SHARED_CA_DIR] : [])]) rmSync(path, { recursive: true, force: true });
    });
  const halt = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running && running.exitCode === null && running.signalCode === null) {
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
        setTimeout(() => running.kill('SIGKILL'), 5000).unref();
      });
    }
  };
  const stop = async (): Promise<void> => {
    await halt();
    removeFiles();
  };
  cleanups.push(stop);
  exitCleanups.push(() => (child?.kill('SIGKILL'), removeFiles()));

  mkdirSync('/run/dirsrv', { recursive: true });
  writeFileSync(join(dir, 'instance.inf'), instanceInf(name, port, tlsPort, options.baseDn));
  withCreationLock(() => {
    madeCaDirectory = !existsSync(SHARED_CA_DIR);
    execFileSync(PYTHON, [CREATE_SCRIPT, join(dir, 'instance.inf')], { stdio: 'pipe' });
  });
  const dse = `/etc/dirsrv/slapd-${name}/dse.ldif`;
  const dseLdif = withoutEntryUuid(readFileSync(dse, 'utf8'));
  writeFileSync(dse, options.contentSync ? withContentSync(dseLdif) : dseLdif);
  const logFile = join(dir, 'ns-slapd.out');
  const launch = async () => {
    const log = openSync(logFile, 'a');
    const started = spawn(NS_SLAPD, ['-D', `/etc/dirsrv/slapd-${name}`, '-i', join(dir, 'ns-slapd.pid'), '-d', '0'], { stdio: ['ignore', log, log] });
    child = started;
    await waitForPort(port, started, logFile);
    await waitForPort(tlsPort, started, logFile);
  };
  await launch();

  const modify = (ldif: string) =>
    execFileSync('/usr/bin/ldapmodify', ['-a', '-x', '-H', `ldap://127.0.0.1:${port}`, '-D', MANAGER_DN, '-w', MANAGER_PASSWORD], {
      input: ldif,
      stdio: 'pipe',
      maxBuffer: 64 * 1024 * 1024,
    });
  modify(options.ldif);
  return {
    name,
    port,
    tlsPort,
    baseDn: options.baseDn,
    caFile: `/etc/dirsrv/slapd-${name}/ca.crt`,
    managerDn: MANAGER_DN,
    managerPassword: MANAGER_PASSWORD,
    modify,
    async restart(edit) {
      await halt();
      if (edit) writeFileSync(dse, edit(readFileSync(dse, 'utf8')));
      await launch();
    },
    stop,
  };
}

const cleanups: Array<() => Promise<void>> = [];
/** Synchronous fallbacks for a process that exits without its `after()` hook having run. */
const exitCleanups: Array<() => void> = [];

/** Stops every instance started by this process and removes its files (the exit fallbacks are idempotent). */
export async function stopAll389(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
}

process.once('exit', () => exitCleanups.forEach((cleanup) => cleanup()));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll389().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}
