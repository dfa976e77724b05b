/** The synchronization history as use cases shared by the API, the console and the CLI. */
import * as z from 'zod';
import { issuesFrom } from '../config/load.js';
import { RosterError } from '../errors.js';
import { eachChange, findChangePage, type ChangePage, type NumberedChange } from '../store/run-changes.js';
import { findRun, findRunRecord, listRuns, type RunChange, type RunRecord } from '../store/runs.js';
import type { Store } from '../store/store.js';
import { describeChange, diffText } from './change-diff.js';

export type { ChangePage, NumberedChange, RunChange, RunRecord };

export async function recentRuns(store: Store, limit = 50): Promise<RunRecord[]> {
  return listRuns(store.db, limit);
}

/** One run with all its changes; NOT_FOUND when there is no such run. */
export async function runWithChanges(store: Store, id: number): Promise<RunRecord & { changes: RunChange[] }> {
  const run = await findRun(store.db, id);
  if (!run) throw new RosterError('NOT_FOUND', `There is no run ${id}.`);
  return run;
}

/** One run's summary (counts, warnings, error) without its changes. */
export async function runSummary(store: Store, id: number): Promise<RunRecord> {
  const run = await findRunRecord(store.db, id);
  if (!run) throw new RosterError('NOT_FOUND', `There is no run ${id}.`);
  return run;
}

export const runChangesQuerySchema = z
  .object({
    action: z.enum(['created', 'updated', 'deleted', 'deletionScheduled', 'restored']).optional(),
    q: z.string().max(256, 'at most 256 characters').optional(),
    limit: z.coerce.number().int('must be a whole number').min(1).max(1000).default(100),
    after: z.coerce.number().int('must be a whole number').min(0).optional(),
  })
  .strict();

export type RunChangesQuery = z.output<typeof runChangesQuerySchema>;

/** A page of one run's changes, filtered by action and user name (store/run-changes.ts). */
export async function listRunChanges(store: Store, id: number, input: unknown): Promise<ChangePage & { query: RunChangesQuery }> {
  const parsed = runChangesQuerySchema.safeParse(
    Object.fromEntries(Object.entries((input ?? {}) as Record<string, unknown>).filter(([, value]) => value !== '' && value !== undefined)),
  );
  if (!parsed.success) {
    const details = issuesFrom(parsed.error);
    throw new RosterError('INPUT_INVALID', `Invalid input: ${details.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { details });
  }
  await runSummary(store, id);
  return { ...(await findChangePage(store.db, id, parsed.data)), query: parsed.data };
}

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. A cell a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR first: names and reasons come from the directory) is prefixed with an apostrophe.
 */
function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The run's changes as CSV lines, read a stored page at a time: seq, action, user name, readable change, JSON. */
export async function* runChangesCsv(store: Store, id: number): AsyncGenerator<string> {
  await runSummary(store, id);
  yield 'seq,action,userName,change,detail\r\n';
  for await (const change of eachChange(store.db, id)) {
    yield [change.seq, change.action, change.userName, diffText(describeChange(change)), JSON.stringify(change.detail ?? null)].map(csvCell).join(',') + '\r\n';
  }
}

/** The run as one JSON document (the shape of GET /api/directory/runs/:id), written as its changes are read. */
export async function* runJson(store: Store, id: number): AsyncGenerator<string> {
  const run = await runSummary(store, id);
  yield JSON.stringify(run).slice(0, -1) + ',"changes":[';
  let first = true;
  for await (const { seq: _seq, ...change } of eachChange(store.db, id)) {
    yield (first ? '' : ',') + JSON.stringify(change);
    first = false;
  }
  yield ']}\n';
}
