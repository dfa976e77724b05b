import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Store } from '../../src/store/store.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];
export const POSTGRES = process.env.ROSTER_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  store: Store;
  dataDir: string;
  databaseUrl?: string;
  /** The CLI's global options reaching the same database. */
  cliArgs: string[];
}

/** A fresh store: a temp data dir for SQLite, a schema of its own in the `test` database for PostgreSQL. */
export async function openTestStore(backend: Backend): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-store-'));
  if (backend === 'sqlite') return { store: await Store.open({ dataDir }), dataDir, cliArgs: ['--data', dataDir] };
  const schema = `roster_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const databaseUrl = `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return { store: await Store.open({ dataDir, databaseUrl }), dataDir, databaseUrl, cliArgs: ['--data', dataDir, '--database-url', databaseUrl] };
}

/** Drops every schema this process created (PostgreSQL); SQLite temp dirs are left to the OS. */
export async function dropTestSchemas(): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  // "_" is LIKE's one-character wildcard: unescaped, process 240's pattern would drop process 24083's schemas, and
  // other worktrees' test runs share this database.
  const { rows } = await admin.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`roster\\_test\\_${process.pid}\\_%`]);
  for (const row of rows) await admin.query(`DROP SCHEMA ${row.nspname} CASCADE`);
  await admin.end();
}
