import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { addWebhook, describeWebhook, listWebhookViews, removeWebhook, retryWebhookFailure, testWebhook } from '../../admin/webhooks.js';
import { RosterError } from '../../errors.js';
import type { DeliveryOutcome } from '../../webhooks/post.js';
import { requireUser } from '../auth.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,12}$' } } } as const;
const failureParams = {
  type: 'object',
  required: ['id', 'event'],
  properties: { id: { type: 'string', pattern: '^[0-9]{1,12}$' }, event: { type: 'string', pattern: '^[0-9]{1,15}$' } },
} as const;
const webhookBody = {
  type: 'object',
  required: ['url'],
  properties: { url: { type: 'string', maxLength: 2048 }, secret: { type: 'string' }, events: { type: 'array', items: { type: 'string' } } },
} as const;

/** A delivery the administrator asked for: the receiver's answer, or WEBHOOK_DELIVERY_FAILED with its cause. */
function answered(outcome: DeliveryOutcome): { delivered: true; status: number } {
  if (!outcome.ok) throw new RosterError('WEBHOOK_DELIVERY_FAILED', `The receiver did not accept the delivery: ${outcome.error}`);
  return { delivered: true, status: outcome.status };
}

export async function webhookRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  const admin = requireUser(app, 'admin');
  const tags = ['webhooks'];

  server.get('/api/webhooks', { schema: { tags, summary: 'Webhooks with their queue, retry state and undeliverable events (never the secret).' }, preHandler: admin }, async () =>
    listWebhookViews(app.store),
  );

  server.post(
    '/api/webhooks',
    { schema: { tags, summary: 'Add a webhook; without a secret one is generated and returned in this answer only.', body: webhookBody }, preHandler: admin },
    async (request, reply) => {
      reply.code(201);
      return addWebhook(app.store, request.body);
    },
  );

  server.get('/api/webhooks/:id', { schema: { tags, summary: 'One webhook.', params: idParams }, preHandler: admin }, async (request) =>
    describeWebhook(app.store, (request.params as { id: string }).id),
  );

  server.delete('/api/webhooks/:id', { schema: { tags, summary: 'Remove a webhook.', params: idParams }, preHandler: admin }, async (request, reply) => {
    await removeWebhook(app.store, (request.params as { id: string }).id);
    reply.code(204);
  });

  server.post('/api/webhooks/:id/test', { schema: { tags, summary: 'Send a webhook.test event now.', params: idParams }, preHandler: admin }, async (request) =>
    answered(await testWebhook(app.store, (request.params as { id: string }).id)),
  );

  server.post(
    '/api/webhooks/:id/failures/:event/retry',
    { schema: { tags, summary: 'Send an undeliverable event again now.', params: failureParams }, preHandler: admin },
    async (request) => {
      const { id, event } = request.params as { id: string; event: string };
      return answered(await retryWebhookFailure(app.store, id, event));
    },
  );
}
