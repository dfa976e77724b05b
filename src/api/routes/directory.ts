import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { redactSettings, saveSettings, storedSettings, syncNow, testSettings } from '../../admin/directory.js';
import { Readable } from 'node:stream';
import { listRunChanges, recentRuns, runChangesCsv, runJson, runSummary, runWithChanges } from '../../admin/runs.js';
import { explainUser } from '../../admin/explain.js';
import { requireUser } from '../auth.js';
import { chunked, sendPageHeaders } from '../paging.js';

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
        summary:
          '"Synchronize now" with the stored settings; full=true reads the whole directory even where an incremental run could continue. With user=NAME, only that user\'s change is applied (the directory is read and guarded as for a full run) and the run is recorded with mode "single".',
        querystring: { type: 'object', properties: { allowMassDelete: { type: 'boolean' }, full: { type: 'boolean' }, user: { type: 'string', minLength: 1, maxLength: 256 } } },
      },
      preHandler: admin,
    },
    async (request) =>
      syncNow(app, {
        trigger: `api:${request.session!.user.userName}`,
        allowMassDelete: (request.query as { allowMassDelete?: boolean }).allowMassDelete === true,
        full: (request.query as { full?: boolean }).full === true,
        user: (request.query as { user?: string }).user,
      }),
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

  server.get(
    '/api/directory/explain/:name',
    {
      schema: {
        tags: ['directory'],
        summary:
          'Why a name is (not) synchronized: the entries resembling it (user name, address, common name; case; local part) and whether the user filter matches each, the groups it reaches (through which nested groups) or why not, and what a sync would do now (create, update with the changes, delete, keep out of scope, nothing) with the warnings about it. Reads the directory; commits nothing.',
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } },
      },
      preHandler: admin,
    },
    async (request) => explainUser(app.store, (request.params as { name: string }).name),
  );

  const runParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

  server.get(
    '/api/directory/runs/:id/changes',
    {
      schema: {
        tags: ['directory'],
        summary:
          'A page of one run\'s changes in run order (limit: default 100, at most 1,000; after: the seq of the last change seen). action filters (created, updated, deleted, deletionScheduled, restored), q searches user names. Each change carries its seq. Headers: X-Total-Count, Link rel="next" (RFC 8288).',
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            action: { type: 'string', enum: ['created', 'updated', 'deleted', 'deletionScheduled', 'restored'] },
            q: { type: 'string', maxLength: 256 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            after: { type: 'integer', minimum: 0 },
          },
        },
      },
      preHandler: admin,
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      const page = await listRunChanges(app.store, id, request.query);
      sendPageHeaders(reply, `/api/directory/runs/${id}/changes`, page.query, page.total, page.next === undefined ? undefined : String(page.next));
      return page.changes;
    },
  );

  server.get(
    '/api/directory/runs/:id/changes.csv',
    {
      schema: { tags: ['directory'], summary: "Download a run's changes as CSV (seq, action, userName, change as text, detail as JSON), streamed.", params: runParams },
      preHandler: admin,
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await runSummary(app.store, id);
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="roster-run-${id}.csv"`);
      return reply.send(Readable.from(chunked(runChangesCsv(app.store, id))));
    },
  );

  server.get(
    '/api/directory/runs/:id/download.json',
    {
      schema: { tags: ['directory'], summary: 'Download a run with all its changes as JSON (the document of GET /api/directory/runs/{id}), streamed.', params: runParams },
      preHandler: admin,
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await runSummary(app.store, id);
      reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="roster-run-${id}.json"`);
      return reply.send(Readable.from(chunked(runJson(app.store, id))));
    },
  );
}
