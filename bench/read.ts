/**
 * "Test settings" on a large directory: `roster directory test FILE --json` against a paged ldapsearch of the
 * same users and groups with the same attributes, measured in the same run; medians of BENCH_RUNS runs
 * (default 3), peak memory the highest seen. Run: npm run bench:read
 */
import { stopAllDirectories } from '../test/helpers/slapd.js';
import { USERS, VARIANTS, measuredBaseline, median, roster, row, startBenchDirectory, writeSettings } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const directory = await startBenchDirectory();
try {
  console.log(`medians of ${RUNS} runs`);
  console.log(row(['variant', 'ldapsearch ms', 'roster ms', 'ratio', 'peak MB', 'users']));
  for (const [name, groups] of Object.entries(VARIANTS)) {
    const file = writeSettings(`read-${name.length}.yaml`, directory, groups);
    const baselines: number[] = [];
    const times: number[] = [];
    let peak = 0;
    let created = 0;
    for (let run = 0; run < RUNS; run++) {
      baselines.push(await measuredBaseline(directory, groups.filter));
      const result = await roster(['directory', 'test', file, '--json']);
      if (result.code !== 0) throw new Error(`roster failed: ${result.stderr}`);
      created = JSON.parse(result.stdout).users.created.length as number;
      if (created !== USERS) throw new Error(`expected ${USERS} users in scope, got ${created}`);
      times.push(result.ms);
      peak = Math.max(peak, result.rssMb);
    }
    const baseline = median(baselines);
    console.log(row([name, baseline.toFixed(0), median(times).toFixed(0), (median(times) / baseline).toFixed(2) + 'x', peak.toFixed(0), created]));
  }
} finally {
  await stopAllDirectories();
}
