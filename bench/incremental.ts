/**
 * Incremental synchronization (issue 14) on a large directory with RFC 4533 content synchronization (slapd with
 * syncprov), next to a paged ldapsearch of the same users and groups measured in the same run:
 * - the first (full) run that takes the cookie and stores the directory image, and a full run without change
 *   tracking (options.incremental: false, today's paged read) on another database;
 * - a no-change incremental `roster directory sync` (whole CLI process);
 * - 1,000 changed users: 800 modified, 100 deleted, 100 removed from their group;
 * - a no-change run inside a long-lived process, as `roster serve`'s scheduler runs it.
 * Medians of BENCH_RUNS runs (default 3). Run: npm run bench:incremental
 */
import { stopAllDirectories } from '../test/helpers/slapd.js';
import { USERS, startBenchDirectory } from './harness.js';
import { measureIncremental } from './incremental-steps.js';

/**
 * slapd as README's OpenLDAP notes configure it: a syncprov session log sized for the changes between runs (here
 * 1,000, with headroom), so a refresh within it answers with a delete phase instead of listing every entry present.
 * BENCH_SESSIONLOG=0 measures the present phase (a server without a session log, or one restarted since the cookie).
 */
const SESSIONLOG = Number(process.env.BENCH_SESSIONLOG ?? 10_000);

const directory = await startBenchDirectory({ contentSync: SESSIONLOG > 0 ? { sessionlog: SESSIONLOG } : {}, serviceSizeLimit: USERS * 3 });
try {
  await measureIncremental(directory, `slapd with syncprov, session log ${SESSIONLOG || 'none'}`);
} finally {
  await stopAllDirectories();
}
