/**
 * A run's changes a page at a time, filtered by action and by name (issue #13: a first run's detail was 21 MB).
 *
 * Changes stay stored 200 to a row (runs.ts: a row per change made recording a first sync cost as much as creating
 * the users). Each row also keeps a small index of its changes (migration 0018): `actions`, one letter per change
 * (c, u, d, s for deletionScheduled, r for restored), and `names`, the lower-cased user names one per line. A request reads the indexes of the run's rows
 * (for 100,000 changes about 1 MB, not 21), finds the positions that match, counts them, and parses only the rows
 * holding the requested page. A change's position in the run (`seq`, from 0) is the paging cursor.
 */
import type { Executor } from './users.js';
import type { RunChange } from './runs.js';

export const ACTION_LETTERS = { created: 'c', updated: 'u', deleted: 'd', deletionScheduled: 's', restored: 'r' } as const;

/** The index columns of one stored page of changes. */
export function changeIndexOf(changes: readonly RunChange[]): { actions: string; names: string } {
  let actions = '';
  const names: string[] = [];
  for (const change of changes) {
    actions += ACTION_LETTERS[change.action];
    names.push(change.userName.toLowerCase());
  }
  return { actions, names: names.join('\n') };
}

export interface ChangeQuery {
  readonly action?: RunChange['action'];
  /** Substring of the user name, compared case-insensitively. */
  readonly q?: string;
  readonly limit: number;
  /** The `seq` of the last change of the previous page. */
  readonly after?: number;
}

export interface NumberedChange extends RunChange {
  /** Position of the change in its run, from 0. */
  readonly seq: number;
}

export interface ChangePage {
  readonly changes: NumberedChange[];
  readonly total: number;
  readonly next?: number;
}

interface IndexedPage {
  page: number;
  first: number;
  actions: string;
  names: string[];
}

/** The index of every stored page of the run, with the position of its first change. Pages stored without an index (by older code) are indexed from their JSON. */
async function runIndex(db: Executor, runId: number, withNames: boolean): Promise<IndexedPage[]> {
  // The names are most of the index: read only when a name is searched.
  const rows = withNames
    ? await db.selectFrom('sync_run_change_pages').select(['page', 'actions', 'names']).where('run_id', '=', runId).orderBy('page').execute()
    : (await db.selectFrom('sync_run_change_pages').select(['page', 'actions']).where('run_id', '=', runId).orderBy('page').execute()).map((row) => ({ ...row, names: '' }));
  const pages: IndexedPage[] = [];
  let first = 0;
  for (const row of rows) {
    let { actions, names } = row;
    if (actions === '') ({ actions, names } = changeIndexOf(await pageChanges(db, runId, row.page)));
    pages.push({ page: row.page, first, actions, names: withNames ? names.split('\n') : [] });
    first += actions.length;
  }
  return pages;
}

async function pageChanges(db: Executor, runId: number, page: number): Promise<RunChange[]> {
  const row = await db.selectFrom('sync_run_change_pages').select('changes').where('run_id', '=', runId).where('page', '=', page).executeTakeFirst();
  return row ? (JSON.parse(row.changes) as RunChange[]) : [];
}

export async function findChangePage(db: Executor, runId: number, query: ChangeQuery): Promise<ChangePage> {
  const letter = query.action ? ACTION_LETTERS[query.action] : undefined;
  const needle = query.q?.trim().toLowerCase() ?? '';
  const wanted: Array<{ page: number; offset: number; seq: number }> = [];
  let total = 0;
  for (const page of await runIndex(db, runId, needle !== '')) {
    for (let offset = 0; offset < page.actions.length; offset++) {
      if (letter !== undefined && page.actions[offset] !== letter) continue;
      if (needle && !page.names[offset]!.includes(needle)) continue;
      total++;
      const seq = page.first + offset;
      if ((query.after === undefined || seq > query.after) && wanted.length <= query.limit) wanted.push({ page: page.page, offset, seq });
    }
  }
  const more = wanted.length > query.limit;
  const shown = wanted.slice(0, query.limit);
  const parsed = new Map<number, RunChange[]>();
  const changes: NumberedChange[] = [];
  for (const { page, offset, seq } of shown) {
    if (!parsed.has(page)) parsed.set(page, await pageChanges(db, runId, page));
    changes.push({ ...parsed.get(page)![offset]!, seq });
  }
  return { changes, total, ...(more ? { next: shown.at(-1)!.seq } : {}) };
}

/** Every change of the run, in order, a stored page at a time (downloads). */
export async function* eachChange(db: Executor, runId: number): AsyncGenerator<NumberedChange> {
  const pages = await db.selectFrom('sync_run_change_pages').select('page').where('run_id', '=', runId).orderBy('page').execute();
  let seq = 0;
  for (const { page } of pages) for (const change of await pageChanges(db, runId, page)) yield { ...change, seq: seq++ };
}
