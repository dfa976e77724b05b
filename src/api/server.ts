/** The HTTP server: the JSON API under /api, the console's pages, /metrics. */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { RosterApp } from '../app.js';
import { RosterError } from '../errors.js';
import { storeFailure } from '../store/failures.js';
import { registerConsole } from '../web/routes.js';
import { registerDepthLimitedJson } from './input-bounds.js';
import { directoryRoutes } from './routes/directory.js';
import { lockoutRoutes } from './routes/lockouts.js';
import { sessionRoutes } from './routes/session.js';
import { systemRoutes, type RouteDoc } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

declare module 'fastify' {
  interface FastifySchema {
    tags?: string[];
    summary?: string;
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
};

function validationDetails(error: FastifyError): Array<{ path: string; message: string }> {
  return (error.validation ?? []).map((issue) => {
    const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = [error.validationContext, ...issue.instancePath.split('/').filter(Boolean), ...(missing ? [missing] : [])].join('.');
    return { path, message: issue.message ?? 'invalid' };
  });
}

export async function buildServer(app: RosterApp, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const server = Fastify({
    // The app's logger: request lines carry the instance name and the same redactions as everything else.
    ...(options.logger ? { loggerInstance: app.log as FastifyBaseLogger } : { logger: false }),
    trustProxy: false,
    bodyLimit: 1024 * 1024,
  });
  const routes: RouteDoc[] = [];
  server.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api') || route.url === '/metrics') routes.push({ method: route.method, url: route.url, schema: route.schema });
  });
  await server.register(formbody);
  registerDepthLimitedJson(server);
  server.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    // Pages and API answers carry users, settings and tokens: no cache (a shared computer's, a proxy's) may keep
    // them (issue #12). Static assets set their own caching.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  server.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const details = validationDetails(error);
      return reply
        .code(400)
        .send({ error: { code: 'INPUT_INVALID', message: `Invalid input: ${details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}`, details } });
    }
    const failure = error instanceof RosterError ? error : storeFailure(error, app.store.location);
    if (failure) return reply.code(failure.status).send({ error: failure.toJSON() });
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: { code: 'INPUT_INVALID', message: error.message } });
    app.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'An unexpected error occurred; see the server log.' } });
  });
  server.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}` } }));
  await sessionRoutes(server, app);
  await userRoutes(server, app);
  await lockoutRoutes(server, app);
  await directoryRoutes(server, app);
  await webhookRoutes(server, app);
  await systemRoutes(server, app, routes);
  await registerConsole(server, app);
  return server;
}
