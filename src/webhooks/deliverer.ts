/**
 * Delivers events to webhooks, run by `roster serve`. Per webhook, events go out one at a time in seq order (so in
 * order per user); a failure stops that webhook until its retry is due (1 s, 2 s, 4 s, ... up to an hour), and after
 * RETRY_PERIOD_MS the event is set aside as a failure the administrator can retry. Each webhook is served by the
 * instance holding its lease (store/webhooks.ts): with several instances on one PostgreSQL each event is sent by one.
 * At least once: the cursor moves after the receiver answered 2xx, so a crash between the two sends it again.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import { eventBody, eventsAfter, type RosterEvent } from '../store/events.js';
import type { Store } from '../store/store.js';
import { advanceCursor, giveUpEvent, leaseWebhook, listWebhooks, recordAttemptFailure, releaseWebhookLeases, type StoredWebhook } from '../store/webhooks.js';
import { postEvent } from './post.js';
import { afterFailure, matchesPatterns } from './signing.js';

export type DeliveryResult = 'delivered' | 'failed' | 'given_up';

export interface DelivererOptions {
  /** This instance's name in the leases. */
  owner?: string;
  pollMs?: number;
  /** Must exceed the POST time-out (10 s) by far: a lease that ran out mid-POST lets another instance send again. */
  leaseMs?: number;
  log: Logger;
  onResult?: (result: DeliveryResult) => void;
}

const BATCH = 100;

export class WebhookDeliverer {
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: DelivererOptions,
  ) {
    this.owner = options.owner ?? `deliverer-${randomUUID()}`;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.running = this.tick()
        .catch((error: unknown) => this.options.log.error({ err: error }, 'webhook delivery failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 1000);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await releaseWebhookLeases(this.store.db, this.owner).catch(() => {});
  }

  /** One pass over every webhook this instance can lease. */
  async tick(now = Date.now()): Promise<void> {
    for (const hook of await listWebhooks(this.store.db)) {
      if (this.stopped) return;
      if (hook.nextAttemptAt > now) continue;
      if (!(await leaseWebhook(this.store.db, hook.id, this.owner, now, this.options.leaseMs ?? 60_000))) continue;
      await this.deliverPending(hook);
    }
  }

  private async deliverPending(hook: StoredWebhook): Promise<void> {
    const secret = this.store.secrets.open(hook.sealedSecret);
    let cursor = hook.cursor;
    let attempts = hook.attempts;
    let failingSince = hook.firstFailureAt;
    for (let events = await eventsAfter(this.store.db, cursor, BATCH); events.length > 0; events = await eventsAfter(this.store.db, cursor, BATCH)) {
      for (const event of events) {
        if (this.stopped) return;
        if (matchesPatterns(hook.events, event.type)) {
          const outcome = await postEvent({ url: hook.url, secret, eventType: event.type, deliveryId: event.id, body: eventBody(event) });
          if (!outcome.ok) return this.failed(hook, event, attempts + 1, failingSince ?? Date.now(), outcome.error);
          this.options.onResult?.('delivered');
          attempts = 0;
          failingSince = null;
        }
        cursor = event.seq;
        // Moving the cursor only works while the lease is ours, and renews it for the next event.
        if (!(await advanceCursor(this.store.db, hook.id, this.owner, cursor, Date.now() + (this.options.leaseMs ?? 60_000)))) return;
      }
    }
  }

  /**
   * `firstFailureAt` starts the webhook's run of failures and ends only with a success: after the first event was
   * set aside, the next ones of a receiver still down are set aside at their first failure, instead of each waiting
   * another retry period behind it.
   */
  private async failed(hook: StoredWebhook, event: RosterEvent, attempts: number, firstFailureAt: number, error: string): Promise<void> {
    const now = Date.now();
    const decision = afterFailure(attempts, firstFailureAt, now);
    this.options.log.warn({ webhook: hook.id, event: event.id, attempts, error }, 'webhook delivery failed');
    if (decision.kind === 'give-up') {
      await giveUpEvent(this.store.db, hook.id, this.owner, event.seq, attempts, error);
      this.options.onResult?.('given_up');
      return;
    }
    await recordAttemptFailure(this.store.db, hook.id, this.owner, { attempts, firstFailureAt, nextAttemptAt: decision.at, error });
    this.options.onResult?.('failed');
  }
}
