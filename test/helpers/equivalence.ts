/**
 * Issue 14's equivalence check, server-neutral: after each of a number of random steps of directory changes, an
 * incremental run on one store and a full run on another that went through the same history must leave identical
 * users, groups and memberships. A server's adapter supplies the settings and the operations (each one random change
 * of its directory); test files per server (slapd, 389-DS, Samba AD) start the server and call checkEquivalence.
 */
import assert from 'node:assert/strict';
import type { DirectorySettings } from '../../src/config/schema.js';
import { isRosterError } from '../../src/errors.js';
import { listUsers } from '../../src/store/users.js';
import type { SyncReport } from '../../src/sync/report.js';
import { runSync } from '../../src/sync/run.js';
import { openTestStore, type Backend, type TestStore } from './store.js';

export type Random = () => number;

/** One random change of the directory; says what it did, for the failure message. */
export type Operation = (random: Random) => Promise<string>;

/** mulberry32: a seeded generator, so a failure can be replayed with ROSTER_EQUIVALENCE_SEED. */
export function generator(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(list: readonly T[], random: Random): T => list[Math.floor(random() * list.length)]!;

/** The seed of this run: ROSTER_EQUIVALENCE_SEED to replay one, otherwise a new one (printed on failure). */
export function equivalenceSeed(): number {
  return Number(process.env.ROSTER_EQUIVALENCE_SEED ?? Date.now() % 100_000);
}

/** What both runs must leave identical: the users (as a full run sees them) and the groups with their members. */
export async function storeContents(test: TestStore) {
  const users = (await listUsers(test.store.db)).map((user) => ({
    userName: user.userName,
    fullName: user.fullName,
    emailAddresses: user.emailAddresses,
    dn: user.dn,
    stableId: user.stableId,
    disabled: user.disabled,
    source: user.source,
  }));
  const groups = await test.store.db.selectFrom('groups').select(['dn', 'name', 'description', 'selected', 'members', 'direct_users', 'direct_groups']).orderBy('dn').execute();
  return { users, groups: groups.map((group) => ({ ...group, members: (JSON.parse(group.members) as string[]).sort() })) };
}

interface Outcome {
  readonly refused?: string;
  readonly mode?: string;
  readonly modeReason?: string;
  readonly report?: SyncReport;
}

async function outcome(test: TestStore, settings: DirectorySettings, full: boolean): Promise<Outcome> {
  try {
    const report = await runSync(test.store, settings, { trigger: 'test', full });
    return { mode: report.mode, ...(report.modeReason ? { modeReason: report.modeReason } : {}), report };
  } catch (error) {
    if (!isRosterError(error)) throw error;
    return { refused: error.code };
  }
}

export interface EquivalenceRun {
  readonly backend: Backend;
  readonly settings: DirectorySettings;
  readonly operations: readonly Operation[];
  readonly steps: number;
  readonly seed: number;
  /** Changes per step: 1 to this many (default 3). */
  readonly maxChangesPerStep?: number;
  /** Compare the reports too: the scope and its counts, each group's count, the warnings (reported()). */
  readonly compareReports?: boolean;
  /** The incremental runs must have taken the delta path (sync/delta-run.ts) at least once. */
  readonly expectDeltaPath?: boolean;
}

/** What an incremental run's report must share with a full run's: the scope, its counts and the warnings. */
function reported(report: SyncReport) {
  const groups = [...report.groups].sort((a, b) => a.dn.localeCompare(b.dn));
  const { users } = report;
  return {
    inScope: users.unchanged + users.created.length + users.updated.length,
    created: users.created.map((user) => user.userName).sort(),
    updated: users.updated.map((user) => user.userName).sort(),
    deleted: users.deleted.map((user) => `${user.userName}: ${user.reason}`).sort(),
    groups,
    // Beyond 20 warnings of a kind the report keeps the first 20 in the order read: the server's order in a full
    // run, the image's in an incremental one. Then only how many there are can be compared. An ambiguous name's
    // warning names its entries in the order read too.
    warnings: report.warnings.length > 20 ? report.warnings.length : report.warnings.map(entriesSorted).sort(),
    userEntries: report.directory.userEntries,
    groupEntries: report.directory.groupEntries,
  };
}

function entriesSorted(warning: string): string {
  return warning.replace(/is used by (\d+) entries \((.*)\)/, (_, count: string, dns: string) => `is used by ${count} entries (${dns.split('; ').sort().join('; ')})`);
}

/** How each incremental run computed its snapshot: "delta", the whole image's reason, or "unchanged". */
function pathOf(report: SyncReport): string {
  const path = report.imagePath;
  return path?.path === 'whole-image' ? path.reason : (path?.path ?? 'unchanged');
}

function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/**
 * Runs the check on two fresh stores: a first (full) run on each, then `steps` steps of random changes, each
 * followed by an incremental run on one store and a forced full run on the other. A guard (no user left in scope)
 * must refuse both alike; otherwise the incremental store must really have run incrementally.
 */
export async function checkEquivalence(run: EquivalenceRun): Promise<void> {
  const random = generator(run.seed);
  const incremental = await openTestStore(run.backend);
  const full = await openTestStore(run.backend);
  try {
    const first = await runSync(incremental.store, run.settings, { trigger: 'test' });
    assert.deepEqual([first.mode, first.modeReason], ['full', 'first-run']);
    await runSync(full.store, run.settings, { trigger: 'test', full: true });
    assert.deepEqual(await storeContents(incremental), await storeContents(full));
    const history: string[] = [];
    const paths: string[] = [];
    for (let step = 0; step < run.steps; step++) {
      const count = 1 + Math.floor(random() * (run.maxChangesPerStep ?? 3));
      for (let index = 0; index < count; index++) history.push(await pick(run.operations, random)(random));
      const [incrementalRun, fullRun] = [await outcome(incremental, run.settings, false), await outcome(full, run.settings, true)];
      const where = `step ${step} (seed ${run.seed})`;
      assert.equal(incrementalRun.refused, fullRun.refused, where);
      if (!incrementalRun.refused) assert.equal(incrementalRun.mode, 'incremental', `${where}: ${incrementalRun.modeReason}`);
      assert.deepEqual(await storeContents(incremental), await storeContents(full), `after ${where}:\n${history.join('\n')}`);
      if (!incrementalRun.report || !fullRun.report) continue;
      paths.push(pathOf(incrementalRun.report));
      if (run.compareReports) assert.deepEqual(reported(incrementalRun.report), reported(fullRun.report), `report after ${where}:\n${history.join('\n')}`);
    }
    console.log(`incremental runs (seed ${run.seed}): ${JSON.stringify(tally(paths))}`);
    if (run.expectDeltaPath) assert.ok(paths.includes('delta'), `the delta path ran: ${JSON.stringify(tally(paths))}`);
    const scope = await storeContents(full);
    assert.ok(scope.users.length > 0 && scope.groups.length > 0, 'the runs synchronized something');
  } finally {
    await incremental.store.close();
    await full.store.close();
  }
}
