import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import type { DirectorySettings } from '../../config/schema.js';
import { RosterError } from '../../errors.js';
import { findRun, listRuns } from '../../store/runs.js';
import { loadDirectorySettings, redactSettings, saveDirectorySettings, validateKeepingStoredPassword } from '../../store/settings.js';
import { previewSync, runSync } from '../../sync/run.js';
import { requireUser } from '../auth.js';

export async function storedSettings(app: RosterApp): Promise<DirectorySettings> {
  const settings = await loadDirectorySettings(app.store.db, app.store.secrets);
  if (!settings) throw new RosterError('DIRECTORY_NOT_CONFIGURED', 'No directory settings are stored yet.');
  return settings;
}

/** Settings from a request: an absent or empty password (an untouched form field) keeps the stored one. */
export async function settingsFromInput(app: RosterApp, input: unknown): Promise<DirectorySettings> {
  const body = structuredClone(input) as { connection?: { password?: unknown } } | null;
  if (body?.connection?.password === '') delete body.connection.password;
  return validateKeepingStoredPassword(app.store.db, app.store.secrets, body);
}

export async function syncNow(app: RosterApp, trigger: string, allowMassDelete: boolean, full = false) {
  const started = Date.now();
  try {
    const report = await runSync(app.store, await storedSettings(app), { trigger, allowMassDelete, full });
    app.metrics.syncFinished('committed', (Date.now() - started) / 1000);
    return report;
  } catch (error) {
    app.metrics.syncFinished('refused', (Date.now() - started) / 1000);
    throw error;
  }
}

export async function directoryRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  const admin = requireUser(app, 'admin');

  server.get(
    '/api/directory/settings',
    { schema: { tags: ['directory'], summary: 'The stored settings; the password is never returned (passwordSet).' }, preHandler: admin },
    async () => redactSettings(await storedSettings(app)),
  );

  server.put(
    '/api/directory/settings',
    { schema: { tags: ['directory'], summary: 'Validate and store the settings (docs/settings.md); 400 lists every invalid field.', body: { type: 'object' } }, preHandler: admin },
    async (request) => {
      const settings = await settingsFromInput(app, request.body);
      await saveDirectorySettings(app.store.db, app.store.secrets, settings);
      await app.scheduler.reload();
      return redactSettings(settings);
    },
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
    async (request) => {
      const body = request.body as Record<string, unknown> | null | undefined;
      const settings = body && Object.keys(body).length > 0 ? await settingsFromInput(app, body) : await storedSettings(app);
      return previewSync(app.store, settings);
    },
  );

  server.post(
    '/api/directory/sync',
    {
      schema: {
        tags: ['directory'],
        summary: '"Synchronize now" with the stored settings; full=true reads the whole directory even where an incremental run could continue.',
        querystring: { type: 'object', properties: { allowMassDelete: { type: 'boolean' }, full: { type: 'boolean' } } },
      },
      preHandler: admin,
    },
    async (request) => {
      const query = request.query as { allowMassDelete?: boolean; full?: boolean };
      return syncNow(app, `api:${request.session!.user.userName}`, query.allowMassDelete === true, query.full === true);
    },
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
    async (request) => listRuns(app.store.db, (request.query as { limit?: number }).limit ?? 50),
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
    async (request) => {
      const run = await findRun(app.store.db, (request.params as { id: number }).id);
      if (!run) throw new RosterError('NOT_FOUND', 'There is no such run.');
      return run;
    },
  );
}
