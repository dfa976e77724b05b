import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { changeUser, publicUser } from '../../admin/users.js';
import { RosterError } from '../../errors.js';
import { createSession, deleteSession } from '../../store/sessions.js';
import { LOGIN_BODY_LIMIT } from '../../auth/login.js';
import { SESSION_LIFETIME_MS, deviceTokenOf, requireUser, sessionCookie } from '../auth.js';

export async function sessionRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  server.post(
    '/api/login',
    {
      bodyLimit: LOGIN_BODY_LIMIT,
      schema: {
        tags: ['session'],
        summary: 'Log on with a user name and password (directory or local); returns a bearer token and sets the session cookie.',
        body: {
          type: 'object',
          required: ['userName', 'password'],
          additionalProperties: false,
          properties: { userName: { type: 'string', maxLength: 256 }, password: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      const { userName, password } = request.body as { userName: string; password: string };
      let stored;
      try {
        stored = await app.auth.authenticate({ userName, password, source: request.ip, deviceToken: deviceTokenOf(request) });
      } catch (error) {
        app.metrics.login((error as RosterError).code ?? 'error');
        throw error;
      }
      app.metrics.login('success');
      const session = await createSession(app.store.db, stored, SESSION_LIFETIME_MS);
      // The device cookie comes from the console's login form only: scripts logging on here would add a row each time.
      reply.header('set-cookie', sessionCookie(session.token, request, SESSION_LIFETIME_MS / 1000));
      return { token: session.token, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString(), user: publicUser(stored) };
    },
  );

  server.post('/api/logout', { schema: { tags: ['session'], summary: 'End the session.' }, preHandler: requireUser(app) }, async (request, reply) => {
    await deleteSession(app.store.db, request.session!.token);
    reply.header('set-cookie', sessionCookie('', request, 0));
    return { loggedOut: true };
  });

  server.get('/api/me', { schema: { tags: ['session'], summary: 'The logged-on user.' }, preHandler: requireUser(app) }, async (request) => publicUser(request.session!.user));

  server.put(
    '/api/me/password',
    {
      schema: {
        tags: ['session'],
        summary: 'Change the own local password (needs the changePassword privilege and local authentication).',
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string' } },
        },
      },
      preHandler: requireUser(app),
    },
    async (request) => {
      const user = request.session!.user;
      if (user.authentication !== 'local') throw new RosterError('FORBIDDEN', 'Your password is the directory password; change it in the directory.');
      if (!user.privileges.includes('changePassword')) throw new RosterError('FORBIDDEN', 'This needs the changePassword privilege.');
      const { currentPassword, newPassword } = request.body as { currentPassword: string; newPassword: string };
      await app.auth.login({ userName: user.userName, password: currentPassword, source: request.ip });
      await changeUser(app.store, user.userName, { password: newPassword }, undefined, `self:${user.userName}`);
      return { changed: true };
    },
  );
}
