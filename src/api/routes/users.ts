import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, changeUser, createManualUser, getUser, listUserPage, removeUser } from '../../admin/users.js';
import { deletePendingUserNow, keepPendingUser } from '../../admin/pending.js';
import { RosterError } from '../../errors.js';
import { requireUser } from '../auth.js';
import { sendPageHeaders } from '../paging.js';

const nameParams = { type: 'object', required: ['userName'], properties: { userName: { type: 'string', minLength: 1, maxLength: 256 } } } as const;
const userBody = {
  type: 'object',
  properties: {
    userName: { type: 'string' },
    fullName: { type: 'string' },
    emailAddresses: { type: 'array', items: { type: 'string' } },
    authentication: { type: 'string', enum: ['local', 'directory'] },
    password: { type: 'string' },
    privileges: { type: 'array', items: { type: 'string' } },
    archiveAccess: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
  },
} as const;

export async function userRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  const admin = requireUser(app, 'admin');

  server.get(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary:
          'A page of users ordered by name (limit: default 100, at most 1,000; after: the cursor from the Link header). q searches name, full name and addresses (case-insensitive substring); source, authentication and disabled filter. Headers: X-Total-Count (all matches), Link rel="next" (RFC 8288).',
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 256 },
            source: { type: 'string', enum: ['directory', 'manual'] },
            authentication: { type: 'string', enum: ['directory', 'local'] },
            disabled: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
            after: { type: 'string', maxLength: 1024 },
          },
        },
      },
      preHandler: admin,
    },
    async (request, reply) => {
      const page = await listUserPage(app.store, request.query);
      sendPageHeaders(reply, '/api/users', page.query, page.total, page.next);
      return page.users;
    },
  );

  server.post('/api/users', { schema: { tags: ['users'], summary: 'Create a manual user.', body: userBody }, preHandler: admin }, async (request, reply) => {
    reply.code(201);
    return createManualUser(app.store, request.body, `admin:${request.session!.user.userName}`);
  });

  server.get('/api/users/:userName', { schema: { tags: ['users'], summary: 'One user.', params: nameParams }, preHandler: admin }, async (request) => {
    return getUser(app.store, (request.params as { userName: string }).userName);
  });

  server.patch(
    '/api/users/:userName',
    {
      schema: {
        tags: ['users'],
        summary: 'Change privileges, archive access, authentication, disabled, local password (and name/addresses of manual users).',
        params: nameParams,
        body: userBody,
      },
      preHandler: admin,
    },
    async (request) => changeUser(app.store, (request.params as { userName: string }).userName, request.body, request.session!.user.userName),
  );

  server.post(
    '/api/users/:userName/keep',
    { schema: { tags: ['users'], summary: 'Keep a user pending deletion: it becomes a manual user, enabled.', params: nameParams }, preHandler: admin },
    async (request) => keepPendingUser(app.store, (request.params as { userName: string }).userName, `admin:${request.session!.user.userName}`),
  );

  server.post(
    '/api/users/:userName/delete-now',
    { schema: { tags: ['users'], summary: 'Delete a user pending deletion without waiting for the grace period.', params: nameParams }, preHandler: admin },
    async (request, reply) => {
      await deletePendingUserNow(app.store, (request.params as { userName: string }).userName, `admin:${request.session!.user.userName}`);
      reply.code(204);
    },
  );

  server.delete('/api/users/:userName', { schema: { tags: ['users'], summary: 'Delete a user.', params: nameParams }, preHandler: admin }, async (request, reply) => {
    const { userName } = request.params as { userName: string };
    if (request.session!.user.userName.toLowerCase() === userName.trim().toLowerCase()) throw new RosterError('CONFLICT', 'You cannot delete yourself.');
    await removeUser(app.store, userName, `admin:${request.session!.user.userName}`);
    reply.code(204);
  });
}
