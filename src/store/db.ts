/** The Kysely factory: embedded SQLite in the data directory by default, PostgreSQL with a URL. */
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Driver } from 'kysely';
import { RosterError } from '../errors.js';
import { migrations } from './migrations.js';
import { loadSqlite } from './sqlite-driver.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export function databaseLocation(options: DatabaseOptions): string {
  return options.databaseUrl ? 'the PostgreSQL database' : `the database in ${options.dataDir}`;
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM); Kysely's
 * ROLLBACK then failed with "cannot rollback - no transaction is active", and that error replaced the real one
 * (issue #12: a full disk reported as INTERNAL). Nothing to roll back: skip it, and the cause reaches the caller.
 */
class SqliteDialectKeepingErrors extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  const dialect: Dialect = options.databaseUrl ? 'postgres' : 'sqlite';
  let db: Kysely<Database>;
  if (options.databaseUrl) {
    // Loaded only when used: the embedded default should not pay for the PostgreSQL driver at start-up.
    const { default: pg } = await import('pg');
    // PostgreSQL's BIGINT (lock expiry) arrives as a string by default; these values fit in a double.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
    const { copyAwarePool } = await import('./copy.js');
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 5 });
    const { CurrentSchemaPostgresDialect } = await import('./introspector.js');
    db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool: copyAwarePool(pool) }) });
  } else {
    makeDataDirectory(options.dataDir);
    const file = join(options.dataDir, 'roster.db');
    ownerOnly(file);
    const Sqlite = loadSqlite();
    const sqlite = new Sqlite(file);
    // 16 KB pages for new databases (an existing one keeps its size): a first sync of 100,000 users writes about
    // 80 MB, and its inserts, commit and checkpoint took 20 % less than with the default 4 KB.
    sqlite.pragma('page_size = 16384');
    // WAL: readers never block the sync's write transaction; a killed process leaves the last commit intact.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    // 16 MB of page cache: a 100,000-user first sync is as fast as with 64 MB, and the process stays smaller.
    // No memory-mapped reads: their pages count in the process's memory, for about 0.1 s gained per re-sync.
    sqlite.pragma('cache_size = -16384');
    // SQLite's lower() folds ASCII only; user searches compare as userNameKey does (user-pages.ts).
    sqlite.function('roster_lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text));
    db = new Kysely<Database>({ dialect: new SqliteDialectKeepingErrors(withStatementCache(sqlite)) });
  }
  // Kysely looks for its migration tables in every schema; name ours, or a second Roster schema in the same
  // PostgreSQL database would think it was migrated already.
  const migrationTableSchema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const provider = migrations(dialect);
  const { error } = (await isMigrated(db, Object.keys(await provider.getMigrations())))
    ? { error: undefined }
    : await new Migrator({
        db,
        provider,
        // Names are reserved per issue and merged in any order (0019 may arrive after 0027): a database migrated before
        // a lower-numbered migration was merged must still take it instead of refusing to start.
        allowUnorderedMigrations: true,
        ...(migrationTableSchema ? { migrationTableSchema } : {}),
      }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new RosterError('INTERNAL', `The database could not be migrated: ${(error as Error).message}`, { cause: error });
  }
  return { db, dialect, close: () => db.destroy() };
}

/**
 * A recursive mkdir under a read-only mount fails with ENOENT, which names no cause; the nearest existing parent
 * tells the real one (EROFS, EACCES), which failures.ts turns into STORE_READ_ONLY.
 */
function makeDataDirectory(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    let parent = dirname(resolve(dataDir));
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    accessSync(parent, constants.W_OK);
    throw error;
  }
}

/**
 * The database holds password hashes, sessions and the sealed directory password: readable by its owner only
 * (issue #12 found roster.db, its WAL and SHM world-readable under a 022 umask). SQLite creates the -wal and -shm
 * files with the database file's permissions, so a new database is created 0600 before SQLite opens it, and the
 * files of an existing one are narrowed.
 */
function ownerOnly(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(path, 0o600);
    } catch (error) {
      // Missing (no WAL yet), or another user's file: nothing this process may change.
      if (!['ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
}

/**
 * Whether the database has every migration already: one query instead of the Migrator's round of table checks and
 * locking (~60 ms on PostgreSQL at every command). Anything else, a fresh database included, goes to the Migrator.
 */
async function isMigrated(db: Kysely<Database>, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(rows.map((row) => row.name));
    return names.every((name) => applied.has(name));
  } catch {
    return false;
  }
}

/**
 * Kysely prepares every query anew; preparing costs SQLite more than running a small query (measured: a login's
 * three lookups spent more time in prepare than in execution). Statements are reusable, and better-sqlite3 runs
 * them synchronously, so one cached statement per SQL text is safe.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, size = 256): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = (sql: string): SqliteDatabase.Statement => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql);
    } else {
      statement = sqlite.prepare(sql);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
  return new Proxy(sqlite, { get: (target, property) => (property === 'prepare' ? prepare : Reflect.get(target, property, target)) });
}
