/**
 * The steps and figures of the incremental benchmark, for any server with content synchronization: bench/incremental.ts
 * runs them against slapd with syncprov, bench/incremental-389.ts against 389 Directory Server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDirectorySettings } from '../src/store/settings.js';
import { Store } from '../src/store/store.js';
import { runSync } from '../src/sync/run.js';
import { BENCH_BASE, benchUserName } from './generate.js';
import { GROUPS, USERS, VARIANTS, measuredBaseline, median, roster, row, timeCommand, work, writeSettings, type BenchTarget } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PEOPLE = `ou=people,${BENCH_BASE}`;
const GROUP_BASE = `ou=groups,${BENCH_BASE}`;
const VARIANT = VARIANTS['DN members (groupOfNames)'];

interface Report {
  mode: string;
  modeReason?: string;
  imagePath?: { path: string; reason?: string };
  users: { created: unknown[]; updated: unknown[]; deleted: unknown[]; unchanged: number };
}

async function sync(args: string[], extra: string[] = []): Promise<{ ms: number; report: Report }> {
  const run = await roster([...args, 'directory', 'sync', '--json', ...extra], process.env.BENCH_TRACE ? { ROSTER_TRACE: '1' } : {});
  if (run.code !== 0) throw new Error(`roster directory sync failed: ${run.stderr}`);
  if (process.env.BENCH_TRACE) console.log(run.stderr.trim());
  return { ms: run.ms, report: JSON.parse(run.stdout) as Report };
}

/** The LDIF of round `round`'s 1,000 changes: 800 modified, 100 deleted, 100 removed from their team. */
function changes(round: number): string {
  const perGroup = Math.ceil(USERS / GROUPS);
  const first = round * 1000 + 1;
  const parts: string[] = [];
  for (let i = first; i < first + 800; i++) parts.push(`dn: uid=${benchUserName(i)},${PEOPLE}\nchangetype: modify\nreplace: displayName\ndisplayName: Changed ${round} ${i}\n`);
  for (let i = first + 800; i < first + 900; i++) parts.push(`dn: uid=${benchUserName(i)},${PEOPLE}\nchangetype: delete\n`);
  // One member from each of 100 teams: a groupOfNames must keep at least one member.
  for (let k = 0; k < 100; k++) {
    const i = Math.floor(USERS / 2) + k * perGroup + round + 1;
    const team = `team-${String(Math.floor((i - 1) / perGroup) + 1).padStart(4, '0')}`;
    parts.push(`dn: cn=${team},${GROUP_BASE}\nchangetype: modify\ndelete: member\nmember: uid=${benchUserName(i)},${PEOPLE}\n`);
  }
  return parts.join('\n');
}

async function applyChanges(directory: BenchTarget, round: number): Promise<void> {
  const file = join(work, `changes-${round}.ldif`);
  writeFileSync(file, changes(round));
  const result = await timeCommand('ldapmodify', ['-x', '-H', `ldap://127.0.0.1:${directory.port}`, '-D', directory.adminDn, '-w', directory.adminPassword, '-f', file]);
  if (result.code !== 0) throw new Error(`ldapmodify failed: ${result.stderr}`);
}

/** A no-change run in this process, as the scheduler of `roster serve` runs it (after one warm-up). */
async function inProcess(dataDir: string): Promise<number> {
  const store = await Store.open({ dataDir });
  try {
    const settings = (await loadDirectorySettings(store.db, store.secrets))!;
    await runSync(store, settings, { trigger: 'schedule' });
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      const report = await runSync(store, settings, { trigger: 'schedule' });
      times.push(performance.now() - started);
      if (report.mode !== 'incremental') throw new Error(`expected an incremental run, got ${report.mode} (${report.modeReason})`);
    }
    return median(times);
  } finally {
    await store.close();
  }
}

/** Measures and prints the figures against `directory`, named `server` in the output. */
export async function measureIncremental(directory: BenchTarget, server: string): Promise<void> {
  const figures = { baseline: [] as number[], first: [] as number[], untracked: [] as number[], noChange: [] as number[], changed: [] as number[], serve: [] as number[] };
  const settings = writeSettings('incremental.yaml', directory, VARIANT, { options: { deleteUsers: true, maxDeletions: 5000 } });
  const untrackedSettings = writeSettings('untracked.yaml', directory, VARIANT, { options: { deleteUsers: true, maxDeletions: 5000, incremental: false } });
  for (let round = 0; round < RUNS; round++) {
    figures.baseline.push(await measuredBaseline(directory, VARIANT.filter));
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-bench-data-'))];
    const untrackedData = ['--data', mkdtempSync(join(tmpdir(), 'roster-bench-data-'))];
    await roster([...data, 'directory', 'set', settings]);
    await roster([...untrackedData, 'directory', 'set', untrackedSettings]);
    const untracked = await sync(untrackedData);
    const first = await sync(data);
    if (first.report.mode !== 'full' || first.report.modeReason !== 'first-run') throw new Error(`first run: ${first.report.mode} ${first.report.modeReason}`);
    const noChange = await sync(data);
    if (noChange.report.mode !== 'incremental' || noChange.report.users.unchanged === 0) throw new Error(`no-change run: ${JSON.stringify(noChange.report.mode)}`);
    await applyChanges(directory, round);
    const changed = await sync(data);
    const { updated, deleted } = changed.report.users;
    if (changed.report.mode !== 'incremental' || updated.length !== 800 || deleted.length !== 200) {
      throw new Error(`changed run: ${changed.report.mode}, ${updated.length} updated, ${deleted.length} deleted`);
    }
    // Only the entries the changes reach are computed and planned (sync/delta-run.ts), unless it says why not.
    if (changed.report.imagePath?.path !== 'delta') console.log(`changed run computed the whole image: ${changed.report.imagePath?.reason}`);
    figures.untracked.push(untracked.ms);
    figures.first.push(first.ms);
    figures.noChange.push(noChange.ms);
    figures.changed.push(changed.ms);
    figures.serve.push(await inProcess(data[1]!));
  }
  const baseline = median(figures.baseline);
  const ratio = (values: number[]) => `${(median(values) / baseline).toFixed(2)}x`;
  console.log(`${server}: medians of ${RUNS} runs; ${USERS} users, ${GROUPS} groups (DN members), SQLite`);
  console.log(row(['measurement', 'ms', 'ratio to ldapsearch']));
  console.log(row(['paged ldapsearch of users and groups', baseline.toFixed(0), '1.00x']));
  console.log(row(['full sync, no change tracking (today)', median(figures.untracked).toFixed(0), ratio(figures.untracked)]));
  console.log(row(['first run: content sync + image', median(figures.first).toFixed(0), ratio(figures.first)]));
  console.log(row(['no-change incremental (CLI process)', median(figures.noChange).toFixed(0), ratio(figures.noChange)]));
  console.log(row(['1,000 changed users (CLI process)', median(figures.changed).toFixed(0), ratio(figures.changed)]));
  console.log(row(['no-change run inside a process (serve)', median(figures.serve).toFixed(0), ratio(figures.serve)]));
}
