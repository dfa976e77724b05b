/**
 * Incremental synchronization on Active Directory (issue 14; uSNChanged and a present listing, see
 * src/directory/usn-tracking.ts) against a Samba AD DC, next to a paged ldapsearch of the same users and groups
 * measured in the same run (both run inside the DC's network namespace, as in test/helpers/samba.ts):
 * - a full run without change tracking (options.incremental: false) and the first (full) run with it;
 * - a no-change run with the DC's highestCommittedUSN unmoved (nothing searched);
 * - a no-change run after a write elsewhere on the DC (the USN moved: changed search and objectGUID listing);
 * - 1,000 changed users: 800 modified, 100 deleted, 100 removed from the selected group.
 * Medians of BENCH_RUNS rounds (default 3), the measurements of a round one after the other.
 * BENCH_AD_USERS users (default 5,000: the fixture's fill grows faster than linearly, ~80 s for 5,000 and over
 * 6 minutes for 20,000 on the shared 2-core machine, mostly the one group listing all of them).
 * Run: npm run bench:incremental-ad (as root: network namespaces)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SAMBA_ADMIN_PASSWORD, SAMBA_BASE, SAMBA_REALM, SAMBA_SERVICE_PASSWORD, SAMBA_SERVICE_UPN, startSambaDomain, stopAllSambaDomains } from '../test/helpers/samba.js';
import { median, row, timeCommand, work, type Timed } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const USERS = Number(process.env.BENCH_AD_USERS ?? 5_000);
const BULK = `OU=Bulk,${SAMBA_BASE}`;
const GROUP = `CN=Everyone Bulk,OU=Groups,${SAMBA_BASE}`;
const ROOT = new URL('..', import.meta.url).pathname;

interface Report {
  mode: string;
  modeReason?: string;
  users: { updated: unknown[]; deleted: unknown[] };
  directory: { pages: number };
}

const started = performance.now();
const domain = await startSambaDomain({ bulkUsers: USERS });
console.log(`Samba AD DC with ${USERS} bulk users (all in "Everyone Bulk") provisioned and started in ${Math.round(performance.now() - started)} ms`);

const inNamespace = (program: string, args: string[], output: 'capture' | 'discard' = 'capture'): Promise<Timed> =>
  timeCommand('ip', ['netns', 'exec', domain.namespace.name, program, ...args], {}, '', output);

async function roster(args: string[]): Promise<Timed> {
  const run = await inNamespace(process.execPath, [join(ROOT, 'bin/roster.js'), ...args]);
  if (run.code !== 0) throw new Error(`roster ${args.join(' ')} failed: ${run.stderr}`);
  return run;
}

async function sync(data: string, check: (report: Report) => boolean): Promise<number> {
  const run = await roster(['--data', data, 'directory', 'sync', '--json']);
  const report = JSON.parse(run.stdout) as Report;
  if (!check(report)) throw new Error(`unexpected run: ${report.mode} ${report.modeReason ?? ''}, ${report.users.updated.length} updated, ${report.users.deleted.length} deleted`);
  return run.ms;
}

const BASELINE = [
  ['(objectCategory=User)', ['userPrincipalName', 'displayName', 'proxyAddresses', 'objectGUID', 'userAccountControl']],
  ['(objectCategory=Group)', ['cn', 'description', 'member', 'objectGUID']],
] as const;
/** What the present listing asks for: where the method's time goes on the server. */
const LISTING = [
  ['(objectCategory=User)', ['objectGUID']],
  ['(objectCategory=Group)', ['objectGUID']],
] as const;

/** The baseline: the users and groups Roster reads, paged, with the same attributes, to /dev/null. */
async function ldapsearch(searches: typeof BASELINE | typeof LISTING = BASELINE): Promise<number> {
  let total = 0;
  for (const [filter, attributes] of searches) {
    const args = ['-x', '-LLL', '-H', 'ldap://127.0.0.1', '-D', SAMBA_SERVICE_UPN, '-w', SAMBA_SERVICE_PASSWORD, '-b', SAMBA_BASE, '-E', 'pr=500/noprompt', filter, ...attributes];
    const result = await inNamespace('/usr/bin/ldapsearch', args, 'discard');
    if (result.code !== 0) throw new Error(`ldapsearch failed: ${result.stderr}`);
    total += result.ms;
  }
  return total;
}

function settings(name: string, incremental: boolean): string {
  const file = join(work, name);
  writeFileSync(
    file,
    stringify({
      preset: 'active-directory',
      connection: { server: '127.0.0.1', protocol: 'ldap', administrativeDn: SAMBA_SERVICE_UPN, password: SAMBA_SERVICE_PASSWORD, baseDn: '' },
      users: { filter: '(objectCategory=User)', userName: 'userPrincipalName', fullName: 'displayName', emailAddresses: 'proxyAddresses' },
      groups: { filter: '(objectCategory=Group)', name: 'cn', description: 'description', members: 'member', groups: ['Everyone Bulk'] },
      options: { deleteUsers: true, maxDeletions: 5000, incremental },
    }),
  );
  return file;
}

const bulk = (index: number) => `CN=bulk${String(index).padStart(5, '0')},${BULK}`;

/** Round `round`'s 1,000 changes: 800 display names, 100 deletions, 100 removals from the selected group. */
function changes(round: number): string {
  const first = round * 1000;
  const parts: string[] = [];
  for (let i = first; i < first + 800; i++) parts.push(`dn: ${bulk(i)}\nchangetype: modify\nreplace: displayName\ndisplayName: Changed ${round} ${i}\n`);
  for (let i = first + 800; i < first + 900; i++) parts.push(`dn: ${bulk(i)}\nchangetype: delete\n`);
  const removed = Array.from({ length: 100 }, (_, k) => `member: ${bulk(first + 900 + k)}`);
  parts.push(`dn: ${GROUP}\nchangetype: modify\ndelete: member\n${removed.join('\n')}\n`);
  return parts.join('\n');
}

async function modify(ldif: string): Promise<void> {
  const file = join(work, `changes-${Math.random().toString(36).slice(2)}.ldif`);
  writeFileSync(file, ldif);
  const result = await inNamespace('/usr/bin/ldapmodify', ['-x', '-H', 'ldap://127.0.0.1', '-D', `Administrator@${SAMBA_REALM}`, '-w', SAMBA_ADMIN_PASSWORD, '-f', file]);
  if (result.code !== 0) throw new Error(`ldapmodify failed: ${result.stderr}`);
}

try {
  const tracked = settings('ad-incremental.yaml', true);
  const untracked = settings('ad-untracked.yaml', false);
  const figures = {
    baseline: [] as number[],
    listing: [] as number[],
    untracked: [] as number[],
    first: [] as number[],
    unmoved: [] as number[],
    moved: [] as number[],
    changed: [] as number[],
  };
  await ldapsearch();
  for (let round = 0; round < RUNS; round++) {
    const data = mkdtempSync(join(tmpdir(), 'roster-bench-ad-'));
    const plain = mkdtempSync(join(tmpdir(), 'roster-bench-ad-'));
    await roster(['--data', data, 'directory', 'set', tracked]);
    await roster(['--data', plain, 'directory', 'set', untracked]);
    figures.baseline.push(await ldapsearch());
    figures.listing.push(await ldapsearch(LISTING));
    figures.untracked.push(await sync(plain, (report) => report.mode === 'full'));
    figures.first.push(await sync(data, (report) => report.modeReason === 'first-run'));
    // The service account's first logon writes its lastLogonTimestamp (a USN) after the first run's root DSE.
    await sync(data, (report) => report.mode === 'incremental');
    figures.unmoved.push(await sync(data, (report) => report.mode === 'incremental' && report.directory.pages === 0));
    // A write elsewhere on the DC (any logon that updates lastLogonTimestamp does as much): the USN moves.
    await modify(`dn: OU=Staff,${SAMBA_BASE}\nchangetype: modify\nreplace: description\ndescription: round ${round}\n`);
    figures.moved.push(await sync(data, (report) => report.mode === 'incremental' && report.users.updated.length === 0));
    await modify(changes(round));
    figures.changed.push(await sync(data, (report) => report.mode === 'incremental' && report.users.updated.length === 800 && report.users.deleted.length === 200));
  }
  const baseline = median(figures.baseline);
  const ratio = (values: number[]) => `${(median(values) / baseline).toFixed(2)}x`;
  const line = (label: string, values: number[]) => console.log(row([label, median(values).toFixed(0), ratio(values)]));
  console.log(`medians of ${RUNS} rounds; Samba AD DC, ${USERS} users in one selected group, SQLite; whole CLI processes inside the namespace`);
  console.log(row(['measurement', 'ms', 'ratio to ldapsearch']));
  console.log(row(['paged ldapsearch of users and groups', baseline.toFixed(0), '1.00x']));
  line('ldapsearch of their objectGUIDs only', figures.listing);
  line('full sync, no change tracking', figures.untracked);
  line('first run with tracking (+ image)', figures.first);
  line('no change, USN unmoved', figures.unmoved);
  line('no change here, USN moved (listing)', figures.moved);
  line('1,000 changed users', figures.changed);
} finally {
  await stopAllSambaDomains();
}
