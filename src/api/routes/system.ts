import type { FastifyInstance, FastifySchema } from 'fastify';
import { clusterStatus } from '../../admin/cluster.js';
import type { RosterApp } from '../../app.js';
import { lastRun, syncAlert, webhookQueue } from '../../admin/status.js';
import { userCountsBySource } from '../../admin/users.js';

export interface RouteDoc {
  method: string | string[];
  url: string;
  schema?: FastifySchema;
}

/** An OpenAPI 3.1 document built from the routes' own schemas. */
function openApi(routes: RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      const schema = route.schema ?? {};
      const parameters = [
        ...Object.keys((schema.params as { properties?: object } | undefined)?.properties ?? {}).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...Object.entries((schema.querystring as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).map(([name, value]) => ({
          name,
          in: 'query',
          schema: value,
        })),
      ];
      (paths[path] ??= {})[method.toLowerCase()] = {
        tags: schema.tags,
        summary: schema.summary,
        ...(parameters.length ? { parameters } : {}),
        ...(schema.body ? { requestBody: { content: { 'application/json': { schema: schema.body } } } } : {}),
        responses: { default: { description: 'JSON; errors as {"error": {"code", "message", "details"}} (docs/errors.md)' } },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Roster API', version: '0.1.0', description: 'Authenticate with POST /api/login, then send "Authorization: Bearer <token>".' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

export async function systemRoutes(server: FastifyInstance, app: RosterApp, routes: RouteDoc[]): Promise<void> {
  const healthSummary = 'Liveness and database reachability; this instance, the sync lock holder and the last scheduled commit; the last run and whether runs fail.';
  server.get('/api/health', { schema: { tags: ['system'], summary: healthSummary } }, async () => {
    const [cluster, run, alert] = await Promise.all([clusterStatus(app.store), lastRun(app.store), syncAlert(app.store)]);
    return {
      status: 'ok',
      database: app.store.dialect,
      nextScheduledSync: app.scheduler.nextRun()?.toISOString() ?? null,
      ...cluster,
      // For monitors: the last run's outcome and time, and whether runs have been refused or failed since the last commit.
      lastSync: run ? { status: run.status, finishedAt: run.finishedAt, trigger: run.trigger, error: run.error } : null,
      syncAlert: alert !== null,
    };
  });

  const metricsSummary = 'Prometheus metrics: sync runs, durations, users by source, logins by outcome, sync lock holder, last scheduled commit.';
  server.get('/metrics', { schema: { tags: ['system'], summary: metricsSummary } }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    const [users, cluster, backlog] = await Promise.all([userCountsBySource(app.store), clusterStatus(app.store), webhookQueue(app.store)]);
    return app.metrics.render(users, cluster, backlog);
  });

  server.get('/api/docs', { schema: { tags: ['system'], summary: 'This API as an OpenAPI 3.1 document.' } }, async () => openApi(routes));
}
