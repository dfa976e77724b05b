import { openDatabase, type DatabaseOptions, type Dialect } from './db.js';
import { acquireLock, type HeldLock } from './lock.js';
import type { Database } from './schema.js';
import { secretBox, type SecretBox } from './secrets.js';
import type { Kysely } from 'kysely';

/** The database plus the secret box that seals the directory password. */
export class Store {
  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly secrets: SecretBox,
    private readonly closeDatabase: () => Promise<void>,
  ) {}

  static async open(options: DatabaseOptions): Promise<Store> {
    const opened = await openDatabase(options);
    return new Store(opened.db, opened.dialect, secretBox(options.dataDir), opened.close);
  }

  acquireSyncLock(): Promise<HeldLock> {
    return acquireLock(this.db, 'directory-sync', 'A synchronization is already running');
  }

  close(): Promise<void> {
    return this.closeDatabase();
  }
}
