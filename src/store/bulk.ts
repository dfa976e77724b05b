/**
 * Inserting many rows of one shape (a sync creates 100,000 users, change records and memberships at once).
 * SQLite: multi-row INSERTs; Kysely builds and compiles a query per call, which for these costs about as much as
 * the database work, so the statement for a full batch is compiled once and reused with each batch's values
 * (SQLite's statement cache then prepares it once too). PostgreSQL: one COPY FROM STDIN per table (copy.ts),
 * its rows written in chunks as they are generated.
 */
import { CompiledQuery, sql, type Insertable } from 'kysely';
import { CopyRows, copyValue } from './copy.js';
import type { Database } from './schema.js';
import type { Executor } from './users.js';

// SQLite accepts 32,766 bound values per statement; rows beyond a few hundred per statement gain nothing.
const MAX_VALUES = 30_000;
const MAX_ROWS = 500;
/** Rows per chunk written to a COPY stream: ~60 KB of text, a young-generation string (see json-stream.ts). */
const COPY_CHUNK_ROWS = 200;

export interface InsertManyOptions {
  /**
   * At most this many rows per statement (SQLite) or per chunk of a COPY (PostgreSQL), for large rows; the defaults
   * suit rows of short values.
   */
  maxRows?: number;
  /** Called after each batch of rows (a statement, or a chunk of a COPY) with the rows sent so far. */
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

export function isPostgres(db: Executor): boolean {
  return sql`select ${1}`.compile(db).sql.includes('$1');
}

/**
 * Inserts `rows`, which must all have the same keys in the same order, in as few statements as allowed. The rows
 * may come from a generator: only one batch's worth is in memory at a time.
 */
export async function insertMany<T extends keyof Database>(db: Executor, table: T, rows: Iterable<Insertable<Database[T]>>, options: InsertManyOptions = {}): Promise<void> {
  if (isPostgres(db)) await copyMany(db, table, rows as Iterable<Row>, options);
  else await insertBatches(db, table, rows as Iterable<Row>, options);
}

async function copyMany(db: Executor, table: string, rows: Iterable<Row>, options: InsertManyOptions): Promise<void> {
  const iterator = rows[Symbol.iterator]();
  const first = iterator.next();
  if (first.done) return;
  const columns = Object.keys(first.value);
  const chunkRows = Math.min(COPY_CHUNK_ROWS, options.maxRows ?? COPY_CHUNK_ROWS);
  // A chunk's values are gathered in a list and joined once: appending them to a string one by one made a rope node
  // per value (1.5 million for 100,000 users) and a copy of the whole when it was flattened to be sent.
  function* chunks(): Generator<string> {
    const parts: string[] = [];
    let inChunk = 0;
    let done = 0;
    for (let next: IteratorResult<Row> = first; !next.done; next = iterator.next()) {
      const row = next.value;
      for (let index = 0; index < columns.length; index++) parts.push(copyValue(row[columns[index]!]), index === columns.length - 1 ? '\n' : '\t');
      if (++inChunk === chunkRows) {
        yield parts.join('');
        done += inChunk;
        options.afterBatch?.(done);
        parts.length = 0;
        inChunk = 0;
      }
    }
    if (inChunk > 0) {
      yield parts.join('');
      options.afterBatch?.(done + inChunk);
    }
  }
  const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
  await db.executeQuery(CompiledQuery.raw(`copy ${quoted(table)} (${columns.map(quoted).join(', ')}) from stdin`, [new CopyRows(chunks())]));
}

async function insertBatches(db: Executor, table: keyof Database, rows: Iterable<Row>, options: InsertManyOptions): Promise<void> {
  let columns: string[] | undefined;
  let perStatement = 1;
  let template: CompiledQuery | undefined;
  let done = 0;
  for (const batch of batches(rows, () => perStatement)) {
    if (!columns) {
      // The first batch holds one row: it tells the columns, and so how many rows fit in a statement.
      columns = Object.keys(batch[0]!);
      perStatement = Math.min(options.maxRows ?? Infinity, Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_VALUES / columns.length))));
    }
    if (batch.length === perStatement && template) {
      await db.executeQuery({ ...template, parameters: valuesOf(batch, columns) });
    } else {
      const compiled = db
        .insertInto(table)
        .values(batch as never)
        .compile();
      // Reused only when Kysely bound exactly what valuesOf() produces for the same rows.
      if (batch.length === perStatement && sameValues(compiled.parameters, valuesOf(batch, columns))) template = compiled;
      await db.executeQuery(compiled);
    }
    done += batch.length;
    options.afterBatch?.(done);
  }
}
