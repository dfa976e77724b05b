import { hostname } from 'node:os';
import { databaseLocation, openDatabase, type DatabaseOptions, type Dialect } from './db.js';
import { storeFailure } from './failures.js';
import { acquireLock, findLockHolder, type HeldLock, type LockHolder } from './lock.js';
import type { Database } from './schema.js';
import { secretBox, type SecretBox } from './secrets.js';
import type { Kysely } from 'kysely';

const SYNC_LOCK = 'directory-sync';

export interface StoreOptions extends DatabaseOptions {
  /** This process's name among the instances sharing the database (log.ts instanceName()); default host:pid. */
  instance?: string;
}

/** The database plus the secret box that seals the directory password. */
export class Store {
  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly secrets: SecretBox,
    readonly instance: string,
    private readonly closeDatabase: () => Promise<void>,
    /** Where the data lives, for messages: "the database in DIR" or "the PostgreSQL database". */
    readonly location: string,
  ) {}

  static async open(options: StoreOptions): Promise<Store> {
    const location = databaseLocation(options);
    let opened;
    try {
      opened = await openDatabase(options);
    } catch (error) {
      throw storeFailure(error, location) ?? error;
    }
    return new Store(opened.db, opened.dialect, secretBox(options.dataDir), options.instance ?? `${hostname()}:${process.pid}`, opened.close, location);
  }

  acquireSyncLock(): Promise<HeldLock> {
    return acquireLock(this.db, SYNC_LOCK, 'A synchronization is already running', this.instance);
  }

  syncLockHolder(): Promise<LockHolder | null> {
    return findLockHolder(this.db, SYNC_LOCK);
  }

  close(): Promise<void> {
    return this.closeDatabase();
  }
}
