import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { redactSettings, saveSettings, storedSettings, syncNow, testSettings } from '../../admin/directory.js';
import { recentRuns, runWithChanges } from '../../admin/runs.js';
import { requireUser } from '../auth.js';

export async function directoryRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  const admin = requireUser(app, 'admin');

  server.get(
    '/api/directory/settings',
    { schema: { tags: ['directory'], summary: 'The stored settings; the password is never returned (passwordSet).' }, preHandler: admin },
    async () => redactSettings(await storedSettings(app.store)),
  );

  server.put(
    '/api/directory/settings',
    { schema: { tags: ['directory'], summary: 'Validate and store the settings (docs/settings.md); 400 lists every invalid field.', body: { type: 'object' } }, preHandler: admin },
    async (request) => redactSettings(await saveSettings(app, request.body)),
  );

  server.post(
    '/api/directory/test',
    {
      schema: {
        tags: ['directory'],
        summary: '"Test settings": the stored settings, or the ones in the body, read and planned; nothing is committed.',
        body: { type: ['object', 'null'] },
      },
      preHandler: admin,
    },
    async (request) => testSettings(app.store, request.body),
  );

  server.post(
    '/api/directory/sync',
    {
      schema: {
        tags: ['directory'],
        summary: '"Synchronize now" with the stored settings.',
        querystring: { type: 'object', properties: { allowMassDelete: { type: 'boolean' } } },
      },
      preHandler: admin,
    },
    async (request) =>
      syncNow(app, { trigger: `api:${request.session!.user.userName}`, allowMassDelete: (request.query as { allowMassDelete?: boolean }).allowMassDelete === true }),
  );

  server.get(
    '/api/directory/runs',
    {
      schema: {
        tags: ['directory'],
        summary: 'The synchronization history, newest first.',
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } } },
      },
      preHandler: admin,
    },
    async (request) => recentRuns(app.store, (request.query as { limit?: number }).limit ?? 50),
  );

  server.get(
    '/api/directory/runs/:id',
    {
      schema: {
        tags: ['directory'],
        summary: 'One run with its per-user changes.',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      },
      preHandler: admin,
    },
    async (request) => runWithChanges(app.store, (request.params as { id: number }).id),
  );
}
