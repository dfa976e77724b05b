/**
 * "Test settings" on a large directory: `roster directory test FILE --json` against a paged ldapsearch of the
 * same users and groups with the same attributes, measured in the same run. Run: npm run bench:read
 */
import { stopAllDirectories } from '../test/helpers/slapd.js';
import { USERS, VARIANTS, measuredBaseline, roster, row, startBenchDirectory, writeSettings } from './harness.js';

const directory = await startBenchDirectory();
try {
  console.log(row(['variant', 'ldapsearch ms', 'roster ms', 'ratio', 'peak MB', 'users']));
  for (const [name, groups] of Object.entries(VARIANTS)) {
    const file = writeSettings(`read-${name.length}.yaml`, directory, groups);
    const baseline = await measuredBaseline(directory, groups.filter);
    const run = await roster(['directory', 'test', file, '--json']);
    if (run.code !== 0) throw new Error(`roster failed: ${run.stderr}`);
    const created = JSON.parse(run.stdout).users.created.length as number;
    if (created !== USERS) throw new Error(`expected ${USERS} users in scope, got ${created}`);
    console.log(row([name, baseline.toFixed(0), run.ms.toFixed(0), (run.ms / baseline).toFixed(2) + 'x', run.rssMb.toFixed(0), created]));
  }
} finally {
  await stopAllDirectories();
}
