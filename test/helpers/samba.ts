/**
 * A real Active Directory domain controller for tests: Samba AD DC from Debian's packages, provisioned in a
 * temp dir and run in its own network namespace (its LDAP ports 389/636 are fixed; the namespace gives each run
 * a private loopback). Roster reaches it by running its CLI inside the namespace (`NetworkNamespace.roster`):
 * no bridge, no routes, no address to choose, and the CLI is the path an administrator uses anyway.
 *
 * Provisioning with --dns-backend=NONE takes ~3 s; the fixture (test/fixtures/samba-ad-fill.py) is written
 * through Samba's own database API in one transaction before the server starts (~5 s for 1,600 users), where
 * samba-tool over LDAP would take minutes. Only the LDAP service runs (`server services = ldap`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNamespace, namespaceSkipReason, type NetworkNamespace } from './netns.js';

const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
/** Debian installs the samba Python module for the system interpreter only. */
const PYTHON = '/usr/bin/python3';
const FILL_SCRIPT = fileURLToPath(new URL('../fixtures/samba-ad-fill.py', import.meta.url));

export const SAMBA_REALM = 'corp.example.com';
export const SAMBA_BASE = 'DC=corp,DC=example,DC=com';
export const SAMBA_ADMIN_PASSWORD = 'Admin-Pass-123';
/** The manual's sample administrative account and password, verbatim. */
export const SAMBA_SERVICE_UPN = `mailstoreserver@${SAMBA_REALM}`;
export const SAMBA_SERVICE_PASSWORD = 'MySecretPassword';
export const SAMBA_USER_PASSWORD = 'Winter-2026!';

/** Why a Samba DC cannot be started here, or undefined when it can. */
export function sambaSkipReason(): string | undefined {
  const namespaces = namespaceSkipReason();
  if (namespaces) return namespaces;
  const missing = [SAMBA, SAMBA_TOOL, PYTHON, '/usr/bin/ldapsearch'].filter((path) => !existsSync(path));
  if (missing.length > 0) return `missing ${missing.join(', ')} (apt-get install samba samba-ad-dc samba-ad-provision winbind ldap-utils)`;
  return undefined;
}

export interface SambaDomain {
  readonly namespace: NetworkNamespace;
  readonly dir: string;
  /** ldapsearch/ldapmodify arguments that bind as the domain's Administrator (plain LDAP inside the namespace). */
  readonly adminArgs: readonly string[];
  /** Distinguished names (LDIF lines of `ldapsearch -LLL dn`) matching `filter` under the domain root. */
  searchDns(filter: string): string[];
  modify(ldif: string): void;
  /** Wrong passwords until the domain's lockout threshold (3) locks the account. */
  lockOut(samAccountName: string): Promise<void>;
  stop(): Promise<void>;
}

function provision(namespace: NetworkNamespace, dir: string): void {
  mkdirSync(join(dir, 'run'));
  namespace.run(SAMBA_TOOL, [
    'domain',
    'provision',
    `--realm=${SAMBA_REALM.toUpperCase()}`,
    '--domain=CORP',
    '--server-role=dc',
    '--dns-backend=NONE',
    '--use-rfc2307',
    `--targetdir=${dir}`,
    `--adminpass=${SAMBA_ADMIN_PASSWORD}`,
    '--option=interfaces=lo',
    '--option=bind interfaces only=yes',
    '--option=server services = ldap',
    `--option=log file = ${join(dir, 'log.%m')}`,
    // Not the system's /run/samba: a second DC (another run) would find its pid file and refuse to start.
    `--option=pid directory = ${join(dir, 'run')}`,
    `--option=ncalrpc dir = ${join(dir, 'run', 'ncalrpc')}`,
  ]);
  // provision drops this option from the smb.conf it writes; simple binds over plain LDAP need it.
  const config = join(dir, 'etc', 'smb.conf');
  writeFileSync(config, readFileSync(config, 'utf8').replace('[global]\n', '[global]\n\tldap server require strong auth = no\n'));
}

async function waitForLdap(namespace: NetworkNamespace, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`samba exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    // Both listeners: LDAPS opens last, once the self-signed certificate has been generated.
    const probe = await namespace.spawn('/usr/bin/ldapsearch', ['-x', '-H', 'ldaps://127.0.0.1', '-b', '', '-s', 'base', 'defaultNamingContext'], {
      env: { LDAPTLS_REQCERT: 'never' },
    });
    if (probe.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('samba did not answer on ldaps://127.0.0.1 within 120 s');
}

export async function startSambaDomain(options: { bulkUsers: number }): Promise<SambaDomain> {
  const namespace = createNamespace('roster-ad');
  const dir = mkdtempSync(join(tmpdir(), 'roster-samba-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running && running.exitCode === null && running.signalCode === null) {
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
        setTimeout(() => running.kill('SIGKILL'), 3000).unref();
      });
    }
    namespace.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  exitCleanups.push(() => {
    child?.kill('SIGKILL');
    namespace.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  provision(namespace, dir);
  execFileSync(PYTHON, [FILL_SCRIPT, join(dir, 'etc', 'smb.conf'), String(options.bulkUsers)], { stdio: 'pipe' });
  const logFile = join(dir, 'samba.out');
  const log = (await import('node:fs')).openSync(logFile, 'a');
  // `ip netns exec` execs samba itself, so this child is the server: killing it stops the server.
  child = spawn('ip', ['netns', 'exec', namespace.name, SAMBA, '-i', '-M', 'single', '-s', join(dir, 'etc', 'smb.conf')], { stdio: ['ignore', log, log] });
  await waitForLdap(namespace, child, logFile);
  const adminArgs = ['-x', '-H', 'ldap://127.0.0.1', '-D', `Administrator@${SAMBA_REALM}`, '-w', SAMBA_ADMIN_PASSWORD];
  return {
    namespace,
    dir,
    adminArgs,
    searchDns(filter) {
      const output = namespace.run('/usr/bin/ldapsearch', [...adminArgs, '-LLL', '-o', 'ldif-wrap=no', '-b', SAMBA_BASE, filter, 'dn']);
      return output
        .split('\n')
        .filter((line) => line.startsWith('dn: '))
        .map((line) => line.slice(4));
    },
    modify(ldif) {
      namespace.run('/usr/bin/ldapmodify', adminArgs, { input: ldif });
    },
    async lockOut(samAccountName) {
      for (let attempt = 0; attempt < 3; attempt++) {
        await namespace.spawn('/usr/bin/ldapsearch', ['-x', '-H', 'ldap://127.0.0.1', '-D', `${samAccountName}@${SAMBA_REALM}`, '-w', 'Wrong-Password-1', '-b', '', '-s', 'base']);
      }
    },
    stop,
  };
}

const cleanups: Array<() => Promise<void>> = [];
/** Synchronous fallbacks for a process that exits without its `after()` hook having run. */
const exitCleanups: Array<() => void> = [];

process.once('exit', () => exitCleanups.forEach((cleanup) => cleanup()));

/** Stops every domain controller started by this process and removes its namespace and files. */
export async function stopAllSambaDomains(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllSambaDomains().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}
