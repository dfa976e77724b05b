/**
 * The composition root: the one place that wires the store, the directory access, the authenticator, the
 * scheduler and the metrics together for the server (the CLI wires the few it needs per command).
 */
import { ensureAdministrator, type AdministratorOutcome } from './admin/administrator.js';
import { Jobs } from './admin/jobs.js';
import { DirectoryAccessProvider } from './auth/directory-access.js';
import { Authenticator } from './auth/login.js';
import { createLogger, instanceName, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Store } from './store/store.js';
import { SyncScheduler } from './sync/scheduler.js';
import { WebhookDeliverer } from './webhooks/deliverer.js';

export interface AppOptions {
  dataDir: string;
  databaseUrl?: string;
  log?: Logger;
  /** This instance's name; default ROSTER_INSTANCE or host:pid (log.ts). */
  instance?: string;
  /** Webhook delivery: the instance name in leases, how often to look for new events (tests poll faster). */
  delivery?: { owner?: string; pollMs?: number };
}

export class RosterApp {
  readonly metrics = new Metrics();
  /** The console's background "Test settings" and "Synchronize now" (admin/jobs.ts). */
  readonly jobs = new Jobs();
  readonly directory: DirectoryAccessProvider;
  readonly auth: Authenticator;
  readonly scheduler: SyncScheduler;
  readonly deliverer: WebhookDeliverer;

  private constructor(
    readonly store: Store,
    readonly log: Logger,
    deliveryOptions: AppOptions['delivery'],
  ) {
    this.directory = new DirectoryAccessProvider(store);
    this.auth = new Authenticator(store, this.directory, log);
    this.scheduler = new SyncScheduler(store, log, (status, seconds) => this.metrics.syncFinished(status, seconds));
    this.deliverer = new WebhookDeliverer(store, { log, owner: store.instance, onResult: (outcome) => this.metrics.webhookDelivery(outcome), ...deliveryOptions });
  }

  static async open(options: AppOptions): Promise<RosterApp> {
    const instance = options.instance ?? instanceName();
    const store = await Store.open({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, instance });
    return new RosterApp(store, options.log ?? createLogger({ instance }), options.delivery);
  }

  /** This instance's name among those sharing the database (ROSTER_INSTANCE or host:pid). */
  get instance(): string {
    return this.store.instance;
  }

  /** Creates the administrator when no enabled user holds `admin` (admin/administrator.ts); safe from many instances. */
  ensureAdministrator(): Promise<AdministratorOutcome> {
    return ensureAdministrator(this.store);
  }

  async close(): Promise<void> {
    this.scheduler.stop();
    await this.deliverer.stop();
    await this.directory.close();
    await this.store.close();
  }
}
