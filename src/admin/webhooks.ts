/** Managing webhooks (CLI `roster webhooks`, /api/webhooks, the console's Webhooks page). Secrets are never shown. */
import { randomBytes, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { issuesFrom } from '../config/load.js';
import { RosterError } from '../errors.js';
import { EVENT_TYPES, eventBody, findEventAt, lastEventPosition } from '../store/events.js';
import type { Store } from '../store/store.js';
import {
  deleteWebhook,
  deleteWebhookFailure,
  findWebhook,
  insertWebhook,
  listWebhookFailures,
  listWebhooks,
  webhookBacklog,
  type StoredWebhook,
  type WebhookFailure,
} from '../store/webhooks.js';
import { postEvent, type DeliveryOutcome } from '../webhooks/post.js';
import { matchesPatterns } from '../webhooks/signing.js';

const pattern = z
  .string()
  .trim()
  .refine((value) => EVENT_TYPES.some((type) => matchesPatterns([value], type)), `must be "*", an event type (${EVENT_TYPES.join(', ')}) or a prefix such as "user.*"`);

export const newWebhookSchema = z
  .object({
    url: z
      .string()
      .trim()
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL without user name or password'),
    secret: z.string().min(16, 'at least 16 characters').max(512).optional(),
    events: z.array(pattern).default([]),
  })
  .strict();

/** A webhook as shown: never its secret. */
export interface WebhookView {
  id: number;
  url: string;
  events: string[];
  createdAt: string;
  /** Events not yet sent or skipped. */
  pending: number;
  /** The delivery being retried, if any. */
  retry: { attempts: number; nextAttemptAt: string; lastError: string | null } | null;
  failures: WebhookFailure[];
}

function view(hook: StoredWebhook, pending: number, failures: WebhookFailure[]): WebhookView {
  return {
    id: hook.id,
    url: hook.url,
    events: hook.events,
    createdAt: hook.createdAt,
    pending,
    retry: hook.attempts > 0 ? { attempts: hook.attempts, nextAttemptAt: new Date(hook.nextAttemptAt).toISOString(), lastError: hook.lastError } : null,
    failures,
  };
}

function parseId(id: string | number): number {
  const number = Number(id);
  if (!Number.isInteger(number) || number < 1)
    throw new RosterError('INPUT_INVALID', `id: "${id}" is not a webhook id`, { details: [{ path: 'id', message: 'not a webhook id' }] });
  return number;
}

async function existing(store: Store, id: string | number): Promise<StoredWebhook> {
  const hook = await findWebhook(store.db, parseId(id));
  if (!hook) throw new RosterError('NOT_FOUND', `There is no webhook ${id}.`);
  return hook;
}

/** Adds a webhook; without a secret one is generated and returned this once (it is never shown again). */
export async function addWebhook(store: Store, input: unknown): Promise<{ webhook: WebhookView; generatedSecret?: string }> {
  const result = newWebhookSchema.safeParse(input);
  if (!result.success) {
    const details = issuesFrom(result.error);
    throw new RosterError('INPUT_INVALID', `Invalid webhook: ${details.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { details });
  }
  const generated = result.data.secret === undefined ? randomBytes(32).toString('base64url') : undefined;
  const secret = result.data.secret ?? generated!;
  const id = await insertWebhook(store.db, {
    url: new URL(result.data.url).href,
    sealedSecret: store.secrets.seal(secret),
    events: result.data.events,
    cursor: await lastEventPosition(store.db),
  });
  const webhook = await describeWebhook(store, id);
  return generated ? { webhook, generatedSecret: generated } : { webhook };
}

export async function describeWebhook(store: Store, id: string | number): Promise<WebhookView> {
  const hook = await existing(store, id);
  const backlog = (await webhookBacklog(store.db)).find((entry) => entry.id === hook.id);
  return view(hook, backlog?.pending ?? 0, await listWebhookFailures(store.db, hook.id));
}

export async function listWebhookViews(store: Store): Promise<WebhookView[]> {
  const [hooks, backlog, failures] = await Promise.all([listWebhooks(store.db), webhookBacklog(store.db), listWebhookFailures(store.db)]);
  return hooks.map((hook) =>
    view(
      hook,
      backlog.find((entry) => entry.id === hook.id)?.pending ?? 0,
      failures.filter((failure) => failure.webhookId === hook.id),
    ),
  );
}

export async function removeWebhook(store: Store, id: string | number): Promise<void> {
  const hook = await existing(store, id);
  await deleteWebhook(store.db, hook.id);
}

/** Sends a `webhook.test` event (not stored) at once and says what the receiver answered. */
export async function testWebhook(store: Store, id: string | number): Promise<DeliveryOutcome> {
  const hook = await existing(store, id);
  const body = JSON.stringify({
    id: randomUUID(),
    type: 'webhook.test',
    time: new Date().toISOString(),
    stableId: null,
    userName: null,
    source: null,
    runId: null,
    actor: 'test',
    data: { webhook: hook.id },
  });
  const deliveryId = (JSON.parse(body) as { id: string }).id;
  return postEvent({ url: hook.url, secret: store.secrets.open(hook.sealedSecret), eventType: 'webhook.test', deliveryId, body });
}

/** Sends an event the deliverer gave up on again, now; on success it leaves the failures. */
export async function retryWebhookFailure(store: Store, id: string | number, eventSeq: string | number): Promise<DeliveryOutcome> {
  const hook = await existing(store, id);
  const failure = (await listWebhookFailures(store.db, hook.id)).find((entry) => entry.eventSeq === Number(eventSeq));
  const event = failure ? await findEventAt(store.db, failure.eventSeq) : undefined;
  if (!failure || !event) throw new RosterError('NOT_FOUND', `Webhook ${hook.id} has no failed event ${eventSeq}.`);
  const outcome = await postEvent({ url: hook.url, secret: store.secrets.open(hook.sealedSecret), eventType: event.type, deliveryId: event.id, body: eventBody(event) });
  if (outcome.ok) await deleteWebhookFailure(store.db, hook.id, failure.eventSeq);
  return outcome;
}
