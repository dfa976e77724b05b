/** Shared pieces of the benchmarks: a big slapd, timing of commands, the ldapsearch baseline. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startDirectory, type StartOptions, type TestDirectory } from '../test/helpers/slapd.js';
import { BENCH_BASE, benchLdif } from './generate.js';

export const USERS = Number(process.env.BENCH_USERS ?? 100_000);
export const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const work = mkdtempSync(join(tmpdir(), 'roster-bench-'));

/** What the baseline and the settings need of a directory server (slapd here, 389-DS in incremental-389.ts). */
export type BenchTarget = Pick<TestDirectory, 'port' | 'baseDn' | 'serviceDn' | 'servicePassword' | 'adminDn' | 'adminPassword'>;

export interface Timed {
  ms: number;
  rssMb: number;
  stdout: string;
  stderr: string;
  code: number;
}

export async function startBenchDirectory(extra: Pick<StartOptions, 'contentSync' | 'serviceSizeLimit'> = {}): Promise<TestDirectory> {
  const started = performance.now();
  const directory = await startDirectory({ flavor: 'openldap', baseDn: BENCH_BASE, ldif: benchLdif(USERS, GROUPS), quiet: true, ...extra });
  console.log(`directory: ${USERS} users, ${GROUPS} groups x 2 variants, loaded with slapadd -q in ${Math.round(performance.now() - started)} ms`);
  return directory;
}

/** Runs a command, timing it; node commands get the RSS probe preloaded. */
export function timeCommand(command: string, args: string[], env: Record<string, string> = {}, input = '', output: 'capture' | 'discard' = 'capture'): Promise<Timed> {
  const rssFile = join(work, `rss-${Math.random().toString(36).slice(2)}`);
  const isNode = command === process.execPath;
  const fullArgs = isNode ? ['--import', join(ROOT, 'bench/report-rss.mjs'), ...args] : args;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Discarded output goes to /dev/null: reading it through a pipe would slow the command down by the reader's work.
    const child = spawn(command, fullArgs, { env: { ...process.env, ...env, ROSTER_RSS_FILE: rssFile }, stdio: ['pipe', output === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      let rssMb = 0;
      try {
        rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // not a node process
      }
      resolve({ ms, rssMb, stdout, stderr, code: code ?? -1 });
    });
    child.stdin?.end(input);
  });
}

export function roster(args: string[], env: Record<string, string> = {}, input = ''): Promise<Timed> {
  return timeCommand(process.execPath, [join(ROOT, 'bin/roster.js'), ...args], env, input);
}

/** The baseline: paged ldapsearch of the same users and groups, with the same attributes, output to /dev/null. */
export async function ldapsearchBaseline(directory: BenchTarget, searches: Array<{ filter: string; attributes: string[] }>): Promise<number> {
  let total = 0;
  for (const search of searches) {
    const result = await timeCommand(
      'ldapsearch',
      [
        '-x',
        '-LLL',
        '-H',
        `ldap://127.0.0.1:${directory.port}`,
        '-D',
        directory.serviceDn,
        '-w',
        directory.servicePassword,
        '-b',
        directory.baseDn,
        '-E',
        'pr=500/noprompt',
        search.filter,
        ...search.attributes,
      ],
      {},
      '',
      'discard',
    );
    if (result.code !== 0) throw new Error(`ldapsearch failed: ${result.stderr}`);
    total += result.ms;
  }
  return total;
}

/** The attributes Roster requests for users (the user-name, name, address, stable-id and disabled attributes). */
const USER_ATTRIBUTES = [
  'uid',
  'displayName',
  'mail',
  'entryUUID',
  'objectGUID',
  'nsUniqueId',
  'ipaUniqueID',
  'userAccountControl',
  'nsAccountLock',
  'pwdAccountLockedTime',
  'objectClass',
  'cn',
];

/** ldapsearch of the users and the groups of `groupFilter`, after one warm-up run of the same searches. */
export async function measuredBaseline(directory: BenchTarget, groupFilter: string): Promise<number> {
  const searches = [
    { filter: '(objectClass=posixAccount)', attributes: USER_ATTRIBUTES },
    { filter: groupFilter, attributes: ['cn', 'description', 'member', 'memberUid', 'objectClass'] },
  ];
  await ldapsearchBaseline(directory, searches);
  return ldapsearchBaseline(directory, searches);
}

export function writeSettings(name: string, directory: BenchTarget, groups: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(work, name);
  writeFileSync(
    path,
    stringify({
      preset: 'openldap',
      connection: { server: `127.0.0.1:${directory.port}`, administrativeDn: directory.serviceDn, password: directory.servicePassword, baseDn: directory.baseDn },
      groups,
      ...extra,
    }),
  );
  return path;
}

export const VARIANTS = {
  'DN members (groupOfNames)': { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['All Teams'] },
  'memberUid + {member} (posixGroup)': { filter: '(objectClass=posixGroup)', groups: ['All POSIX Teams'] },
} as const;

export function row(cells: Array<string | number>): string {
  return cells.map((cell, i) => String(cell).padEnd(i === 0 ? 44 : 14)).join('');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
