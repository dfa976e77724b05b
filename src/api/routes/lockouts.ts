import type { FastifyInstance } from 'fastify';
import type { RosterApp } from '../../app.js';
import { loginLockOf, unlockUserName } from '../../admin/lockouts.js';
import { requireUser } from '../auth.js';

const nameParams = { type: 'object', required: ['userName'], properties: { userName: { type: 'string', minLength: 1, maxLength: 256 } } } as const;

/** Login lockouts of user names (issue #12): see one, lift one. */
export async function lockoutRoutes(server: FastifyInstance, app: RosterApp): Promise<void> {
  const admin = requireUser(app, 'admin');
  server.get(
    '/api/users/:userName/login-lock',
    { schema: { tags: ['users'], summary: 'Whether logins with this user name are blocked after failed attempts, and until when.', params: nameParams }, preHandler: admin },
    async (request) => loginLockOf(app.store, (request.params as { userName: string }).userName),
  );
  server.post(
    '/api/users/:userName/unlock',
    { schema: { tags: ['users'], summary: 'Lift the login block of a user name and forget its failed attempts.', params: nameParams }, preHandler: admin },
    async (request) => unlockUserName(app.store, (request.params as { userName: string }).userName),
  );
}
