/** The console's Webhooks page: add, list with queue and undeliverable events, test, retry, remove. Secrets never shown. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RosterApp } from '../app.js';
import { addWebhook, listWebhookViews, removeWebhook, retryWebhookFailure, testWebhook, type WebhookView } from '../admin/webhooks.js';
import { isRosterError } from '../errors.js';
import type { DeliveryOutcome } from '../webhooks/post.js';
import { html, type Html } from './html.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
export interface ConsoleHelpers {
  guard: (privilege?: 'admin') => Handler;
  full: (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, current?: string, status?: number) => Promise<FastifyReply>;
  invalid: (request: FastifyRequest) => number;
}

const post = (action: string, label: string, secondary = false) =>
  html`<form method="post" action="${action}" hx-post="${action}" hx-target="main" hx-select="main" hx-swap="outerHTML" class="inline">
    <button type="submit" ${secondary ? html`class="secondary"` : ''}>${label}</button>
  </form>`;

function webhookRow(hook: WebhookView): Html {
  const base = `/webhooks/${hook.id}`;
  return html`<tr>
    <td>${hook.id}</td>
    <td><code>${hook.url}</code></td>
    <td>${hook.events.length ? hook.events.join(', ') : 'all'}</td>
    <td>${hook.pending}</td>
    <td>
      ${hook.retry ? html`<div class="problem">Retrying (attempt ${hook.retry.attempts}, next at ${hook.retry.nextAttemptAt}): ${hook.retry.lastError ?? ''}</div>` : ''}
      ${hook.failures.map(
        (failure) =>
          html`<div class="problem">
            Undeliverable event ${failure.eventSeq} after ${failure.attempts} attempts (${failure.failedAt}): ${failure.lastError}
            ${post(`${base}/failures/${failure.eventSeq}/retry`, 'Retry', true)}
          </div>`,
      )}
    </td>
    <td>${post(`${base}/test`, 'Send test', true)} ${post(`${base}/remove`, 'Remove', true)}</td>
  </tr>`;
}

export function webhooksPage(hooks: WebhookView[], notice?: string, error?: string, generatedSecret?: string): Html {
  return html`<h1>Webhooks</h1>
    ${notice ? html`<p class="notice">${notice}</p>` : ''}${error ? html`<p class="problem" role="alert">${error}</p>` : ''}
    ${generatedSecret ? html`<p class="notice">Signing secret (shown only this once): <code>${generatedSecret}</code></p>` : ''}
    <p class="muted">
      Each change is POSTed as JSON with X-Roster-Event, X-Roster-Delivery (the event id) and X-Roster-Signature (sha256=HMAC-SHA256 of the body with the secret), in order, retried
      with back-off for 25 hours.
    </p>
    <table id="webhooks">
      <thead>
        <tr>
          <th>Id</th>
          <th>URL</th>
          <th>Events</th>
          <th>Pending</th>
          <th>Delivery problems</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${hooks.map(webhookRow)}
      </tbody>
    </table>
    <form method="post" action="/webhooks" hx-post="/webhooks" hx-target="main" hx-select="main" hx-swap="outerHTML">
      <fieldset>
        <legend>Add a webhook</legend>
        <label for="url">URL (http or https)</label><input type="text" id="url" name="url" /> <label for="secret">Signing secret (empty: generated and shown once)</label
        ><input type="password" id="secret" name="secret" autocomplete="off" /> <label for="events">Events (comma-separated: user.*, sync.refused; empty: all)</label
        ><input type="text" id="events" name="events" />
      </fieldset>
      <div class="actions"><button type="submit">Add</button></div>
    </form>`;
}

const outcomeText = (outcome: DeliveryOutcome, what: string) => (outcome.ok ? `${what}: the receiver answered HTTP ${outcome.status}.` : undefined);

export async function registerWebhookPages(server: FastifyInstance, app: RosterApp, { guard, full, invalid }: ConsoleHelpers): Promise<void> {
  const show = async (request: FastifyRequest, reply: FastifyReply, message: { notice?: string; error?: string; secret?: string } = {}, status = 200) =>
    full(request, reply, 'Webhooks', webhooksPage(await listWebhookViews(app.store), message.notice, message.error, message.secret), '/webhooks', status);
  /** Runs an action and shows the page with its outcome; an error the administrator caused is shown on the page. */
  const act = (work: (request: FastifyRequest) => Promise<{ notice?: string; error?: string; secret?: string }>) => async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await show(request, reply, await work(request));
    } catch (error) {
      if (!isRosterError(error)) throw error;
      return show(request, reply, { error: error.message }, invalid(request));
    }
  };
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  const delivered = (outcome: DeliveryOutcome, what: string) => (outcome.ok ? { notice: outcomeText(outcome, what) } : { error: `${what} failed: ${outcome.error}` });

  server.get('/webhooks', { preHandler: guard('admin') }, async (request, reply) => show(request, reply));
  server.post(
    '/webhooks',
    { preHandler: guard('admin') },
    act(async (request) => {
      const body = request.body as Record<string, unknown>;
      const events = String(body.events ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const secret = String(body.secret ?? '');
      const added = await addWebhook(app.store, { url: String(body.url ?? ''), ...(secret ? { secret } : {}), events });
      return { notice: `Webhook ${added.webhook.id} added.`, ...(added.generatedSecret ? { secret: added.generatedSecret } : {}) };
    }),
  );
  server.post(
    '/webhooks/:id/remove',
    { preHandler: guard('admin') },
    act(async (request) => (await removeWebhook(app.store, id(request)), { notice: `Webhook ${id(request)} removed.` })),
  );
  server.post(
    '/webhooks/:id/test',
    { preHandler: guard('admin') },
    act(async (request) => delivered(await testWebhook(app.store, id(request)), 'Test delivery')),
  );
  server.post(
    '/webhooks/:id/failures/:event/retry',
    { preHandler: guard('admin') },
    act(async (request) => delivered(await retryWebhookFailure(app.store, id(request), (request.params as { event: string }).event), 'Retry')),
  );
}
