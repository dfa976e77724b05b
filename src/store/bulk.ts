/**
 * Inserting many rows of one shape (a sync creates 100,000 users, change records and memberships at once).
 * SQLite: multi-row INSERTs; Kysely builds and compiles a query per call, which for these costs about as much as
 * the database work, so the statement for a full batch is compiled once and reused with each batch's values
 * (SQLite's statement cache then prepares it once too). PostgreSQL: the batch as one JSON parameter through
 * `json_populate_recordset`, 2,000 rows per statement instead of a statement with tens of thousands of
 * placeholders to parse each time (and faster than one array per column, whose literals the driver escapes
 * element by element).
 */
import { sql, type CompiledQuery, type Insertable } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './users.js';

// SQLite accepts 32,766 bound values per statement; rows beyond a few hundred per statement gain nothing.
const MAX_VALUES = 30_000;
const MAX_ROWS = 500;
const POSTGRES_ROWS = 2_000;

export interface InsertManyOptions {
  /** ON CONFLICT DO NOTHING: rows that would violate a unique key are skipped. */
  ignoreConflicts?: boolean;
  /** At most this many rows per statement, for large rows (the default suits rows of short values). */
  maxRows?: number;
  /** Called after each statement with the rows inserted so far. */
  afterBatch?: (done: number) => void;
}

type Row = Record<string, unknown>;

/** The rows' values in the order Kysely binds them: row by row, in the key order of the first row. */
function valuesOf(rows: Row[], columns: string[]): unknown[] {
  const values: unknown[] = new Array(rows.length * columns.length);
  let at = 0;
  for (const row of rows) for (const column of columns) values[at++] = row[column] === undefined ? null : row[column];
  return values;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Takes rows from `rows` in batches of `size`: rows are built as they are inserted, never all at once. */
function* batches<R>(rows: Iterable<R>, size: () => number): Generator<R[]> {
  let batch: R[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= size()) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function isPostgres(db: Executor): boolean {
  return sql`select ${1}`.compile(db).sql.includes('$1');
}

/**
 * Inserts `rows`, which must all have the same keys in the same order, in as few statements as allowed. The rows
 * may come from a generator: only one statement's worth is in memory at a time.
 */
export async function insertMany<T extends keyof Database>(db: Executor, table: T, rows: Iterable<Insertable<Database[T]>>, options: InsertManyOptions = {}): Promise<void> {
  const postgres = isPostgres(db);
  let columns: string[] | undefined;
  let perStatement = 1;
  let template: CompiledQuery | undefined;
  let done = 0;
  for (const batch of batches(rows as Iterable<Row>, () => perStatement)) {
    if (!columns) {
      // The first batch holds one row: it tells the columns, and so how many rows fit in a statement.
      columns = Object.keys(batch[0]!);
      perStatement = Math.min(options.maxRows ?? Infinity, postgres ? POSTGRES_ROWS : Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_VALUES / columns.length))));
    }
    if (postgres) {
      const names = sql.join(columns.map((column) => sql.ref(column)));
      await sql`insert into ${sql.table(table)} (${names}) select ${names} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(batch)})${
        options.ignoreConflicts ? sql` on conflict do nothing` : sql``
      }`.execute(db);
    } else if (batch.length === perStatement && template) {
      await db.executeQuery({ ...template, parameters: valuesOf(batch, columns) });
    } else {
      const insert = db.insertInto(table).values(batch as never);
      const compiled = (options.ignoreConflicts ? insert.onConflict((conflict) => conflict.doNothing()) : insert).compile();
      // Reused only when Kysely bound exactly what valuesOf() produces for the same rows.
      if (batch.length === perStatement && sameValues(compiled.parameters, valuesOf(batch, columns))) template = compiled;
      await db.executeQuery(compiled);
    }
    done += batch.length;
    options.afterBatch?.(done);
  }
}
