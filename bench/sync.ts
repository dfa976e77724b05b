/**
 * "Synchronize now" on a large directory: full sync into an empty database and a no-change re-sync, next to a
 * paged ldapsearch of the same users and groups measured in the same run. Each figure is the median of
 * BENCH_RUNS runs (default 3; this machine's speed varies by ±30 % from one run to the next), peak memory the
 * highest seen. Run: npm run bench:sync
 * BENCH_DATABASE_URL=postgres://... adds the same measurement on PostgreSQL (a fresh schema per run).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stopAllDirectories } from '../test/helpers/slapd.js';
import { USERS, VARIANTS, measuredBaseline, median, roster, row, startBenchDirectory, writeSettings } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const createdSchemas: string[] = [];

async function databases(): Promise<Array<{ name: string; args: () => Promise<string[]> }>> {
  const list = [{ name: 'sqlite', args: async () => ['--data', mkdtempSync(join(tmpdir(), 'roster-bench-data-'))] }];
  const url = process.env.BENCH_DATABASE_URL;
  if (url) {
    list.push({
      name: 'postgres',
      args: async () => {
        const schema = `roster_bench_${Date.now()}`;
        createdSchemas.push(schema);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`CREATE SCHEMA ${schema}`);
        await client.end();
        return ['--data', mkdtempSync(join(tmpdir(), 'roster-bench-data-')), '--database-url', `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`];
      },
    });
  }
  return list;
}

async function timed(args: string[]): Promise<{ ms: number; rssMb: number; report: { users: { created: unknown[]; unchanged: number } } }> {
  const run = await roster(args);
  if (run.code !== 0) throw new Error(`roster ${args.join(' ')} failed: ${run.stderr}`);
  return { ms: run.ms, rssMb: run.rssMb, report: JSON.parse(run.stdout) };
}

const directory = await startBenchDirectory();
try {
  console.log(`medians of ${RUNS} runs`);
  console.log(row(['variant / database', 'ldapsearch ms', 'full sync ms', 'ratio', 're-sync ms', 'ratio', 'peak MB']));
  for (const database of await databases()) {
    for (const [name, groups] of Object.entries(VARIANTS)) {
      const baselines: number[] = [];
      const fulls: number[] = [];
      const resyncs: number[] = [];
      let peak = 0;
      for (let run = 0; run < RUNS; run++) {
        baselines.push(await measuredBaseline(directory, groups.filter));
        const global = await database.args();
        const file = writeSettings(`sync-${database.name}-${name.length}.yaml`, directory, groups);
        const stored = await roster([...global, 'directory', 'set', file]);
        if (stored.code !== 0) throw new Error(stored.stderr);
        const full = await timed([...global, 'directory', 'sync', '--json']);
        if (full.report.users.created.length !== USERS) throw new Error(`expected ${USERS} created, got ${full.report.users.created.length}`);
        const again = await timed([...global, 'directory', 'sync', '--json']);
        if (again.report.users.unchanged !== USERS) throw new Error(`expected ${USERS} unchanged, got ${again.report.users.unchanged}`);
        fulls.push(full.ms);
        resyncs.push(again.ms);
        peak = Math.max(peak, full.rssMb, again.rssMb);
      }
      const baseline = median(baselines);
      console.log(
        row([
          `${name} / ${database.name}`,
          baseline.toFixed(0),
          median(fulls).toFixed(0),
          (median(fulls) / baseline).toFixed(2) + 'x',
          median(resyncs).toFixed(0),
          (median(resyncs) / baseline).toFixed(2) + 'x',
          peak.toFixed(0),
        ]),
      );
    }
  }
} finally {
  await stopAllDirectories();
  if (createdSchemas.length > 0) {
    const client = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
    await client.connect();
    for (const schema of createdSchemas) await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  }
}
