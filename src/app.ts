/**
 * The composition root: the one place that wires the store, the directory access, the authenticator, the
 * scheduler and the metrics together for the server (the CLI wires the few it needs per command).
 */
import { randomBytes } from 'node:crypto';
import { DirectoryAccessProvider } from './auth/directory-access.js';
import { Authenticator } from './auth/login.js';
import { hashPassword } from './auth/passwords.js';
import { PRIVILEGES } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Store } from './store/store.js';
import { hasAnyUser, insertUser } from './store/users.js';
import { SyncScheduler } from './sync/scheduler.js';

export interface AppOptions {
  dataDir: string;
  databaseUrl?: string;
  log?: Logger;
}

export class RosterApp {
  readonly metrics = new Metrics();
  readonly directory: DirectoryAccessProvider;
  readonly auth: Authenticator;
  readonly scheduler: SyncScheduler;

  private constructor(
    readonly store: Store,
    readonly log: Logger,
  ) {
    this.directory = new DirectoryAccessProvider(store);
    this.auth = new Authenticator(store, this.directory, log);
    this.scheduler = new SyncScheduler(store, log, (status, seconds) => this.metrics.syncFinished(status, seconds));
  }

  static async open(options: AppOptions): Promise<RosterApp> {
    const store = await Store.open({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
    return new RosterApp(store, options.log ?? createLogger());
  }

  /**
   * On first start (no user at all) creates the administrator `admin`, with ROSTER_ADMIN_PASSWORD or a
   * generated password that the caller prints once.
   */
  async ensureAdministrator(): Promise<{ created: false } | { created: true; generatedPassword?: string }> {
    if (await hasAnyUser(this.store.db)) return { created: false };
    const given = process.env.ROSTER_ADMIN_PASSWORD;
    const password = given || randomBytes(12).toString('base64url');
    await insertUser(
      this.store.db,
      {
        userName: 'admin',
        fullName: 'Administrator',
        emailAddresses: [],
        source: 'manual',
        authentication: 'local',
        disabled: false,
        privileges: [...PRIVILEGES],
        archiveAccess: ['read', 'write', 'delete'],
        dn: null,
        stableId: null,
      },
      await hashPassword(password),
    );
    return given ? { created: true } : { created: true, generatedPassword: password };
  }

  async close(): Promise<void> {
    this.scheduler.stop();
    await this.directory.close();
    await this.store.close();
  }
}
