/**
 * COPY ... FROM STDIN (and TO STDOUT) for PostgreSQL through Kysely. Inserting a first sync's 100,000 users took PostgreSQL
 * 2–4 s as INSERTs of JSON batches and 0.7 s as COPY (docs/design-notes.md). Kysely only sends SQL text with
 * parameters, so a COPY statement travels as a query whose single parameter is a CopyRows; the pool handed to
 * Kysely gives out clients that recognize it and stream the rows instead, on the same connection (and so in the
 * same transaction) as every other statement.
 */
import { once } from 'node:events';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** The rows of a COPY, in PostgreSQL's text format, produced chunk by chunk while they are sent. */
export class CopyRows {
  constructor(readonly chunks: Iterable<string>) {}
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const SPECIAL_BUT_LINE_BREAK = /[\\\r\t]/;
const LINE_BREAKS = /\n/g;

/** One value in COPY's text format: \N for null, backslash escapes for the characters the format uses. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : String(value);
  if (!SPECIAL.test(text)) return text;
  // Line breaks are the one special character a first sync writes by the 100,000 (each user's search text, each
  // page's names index): replacing them with a fixed string skips a callback per match, 41-64 -> 23-36 ms of CPU
  // for 100,000 search texts and 500 name pages (medians of 21, same process).
  return SPECIAL_BUT_LINE_BREAK.test(text) ? text.replace(SPECIALS, (character) => ESCAPES[character]!) : text.replace(LINE_BREAKS, '\\n');
}

async function runCopy(client: PoolClient, statement: string, rows: CopyRows): Promise<QueryResult> {
  const stream = client.query(copyFrom(statement));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  try {
    for (const chunk of rows.chunks) {
      // events.once rejects on 'error' and removes both listeners either way.
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
  } catch (error) {
    // The generator failed (or the connection did): abort the COPY, which fails the transaction.
    stream.destroy(error as Error);
    await finished.catch(() => {});
    throw error;
  }
  stream.end();
  await finished;
  return { command: 'COPY', rowCount: stream.rowCount, rows: [], oid: 0, fields: [] };
}

/** The receiver of a COPY ... TO STDOUT: gets the rows in PostgreSQL's text format, a chunk at a time. */
export class CopyOut {
  constructor(readonly onChunk: (chunk: Buffer) => void) {}
}

async function runCopyOut(client: PoolClient, statement: string, out: CopyOut): Promise<QueryResult> {
  const stream = client.query(copyTo(statement));
  for await (const chunk of stream) out.onChunk(chunk as Buffer);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [], oid: 0, fields: [] };
}

/** The pool Kysely gets: the same clients, whose query() also runs COPY statements carrying CopyRows or CopyOut. */
export function copyAwarePool(pool: Pool): { connect(): Promise<PoolClient>; end(): Promise<void> } {
  const wrapped = new WeakMap<PoolClient, PoolClient>();
  const wrap = (client: PoolClient): PoolClient => {
    let proxy = wrapped.get(client);
    if (!proxy) {
      proxy = new Proxy(client, {
        get(target, property) {
          if (property !== 'query') return Reflect.get(target, property, target) as unknown;
          return (first: unknown, parameters?: unknown[]) =>
            typeof first === 'string' && parameters?.length === 1 && parameters[0] instanceof CopyRows
              ? runCopy(target, first, parameters[0])
              : typeof first === 'string' && parameters?.length === 1 && parameters[0] instanceof CopyOut
                ? runCopyOut(target, first, parameters[0])
                : (target.query as (...args: unknown[]) => unknown)(first, parameters);
        },
      });
      wrapped.set(client, proxy);
    }
    return proxy;
  };
  return { connect: async () => wrap(await pool.connect()), end: () => pool.end() };
}
