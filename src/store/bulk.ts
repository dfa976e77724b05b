/**
 * Inserting many rows of one shape (a sync creates 100,000 users, change records and memberships at once).
 * Kysely builds and compiles a query per call, which for multi-row inserts costs about as much as the database
 * work; here the statement for a full batch is compiled once and reused with each batch's values, so the
 * database sees the same SQL text every time (SQLite's statement cache, PostgreSQL's parser) and Node does no
 * query building per batch.
 */
import type { CompiledQuery, Insertable, InsertQueryBuilder, InsertResult } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './users.js';

// SQLite accepts 32,766 bound values per statement and PostgreSQL 65,535; rows beyond a few hundred per
// statement gain nothing measurable.
const MAX_VALUES = 30_000;
const MAX_ROWS = 500;

type Build<T extends keyof Database> = (db: Executor, rows: Array<Insertable<Database[T]>>) => InsertQueryBuilder<Database, T, InsertResult>;

export interface InsertManyOptions<T extends keyof Database> {
  /** Adds clauses to the insert (ON CONFLICT ...); the values come from the rows. */
  build?: Build<T>;
  /** Called after each statement with the rows inserted so far. */
  afterBatch?: (done: number) => void;
}

/** The rows' values in the order Kysely binds them: row by row, in the key order of the first row. */
function valuesOf(rows: Array<Record<string, unknown>>, columns: string[]): unknown[] {
  const values: unknown[] = new Array(rows.length * columns.length);
  let at = 0;
  for (const row of rows) for (const column of columns) values[at++] = row[column] === undefined ? null : row[column];
  return values;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Inserts `rows`, which must all have the same keys in the same order, in as few statements as allowed. */
export async function insertMany<T extends keyof Database>(db: Executor, table: T, rows: Array<Insertable<Database[T]>>, options: InsertManyOptions<T> = {}): Promise<void> {
  if (rows.length === 0) return;
  const build: Build<T> = options.build ?? ((executor, batch) => executor.insertInto(table).values(batch as never) as unknown as InsertQueryBuilder<Database, T, InsertResult>);
  const columns = Object.keys(rows[0]!);
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_VALUES / columns.length)));
  let template: CompiledQuery | undefined;
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement) as Array<Record<string, unknown>>;
    if (batch.length === perStatement && template) {
      await db.executeQuery({ ...template, parameters: valuesOf(batch, columns) });
    } else {
      const compiled = build(db, batch as Array<Insertable<Database[T]>>).compile();
      // Reused only when Kysely bound exactly what valuesOf() produces for the same rows.
      if (batch.length === perStatement && sameValues(compiled.parameters, valuesOf(batch, columns))) template = compiled;
      await db.executeQuery(compiled);
    }
    options.afterBatch?.(start + batch.length);
  }
}
