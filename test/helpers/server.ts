import type { FastifyInstance } from 'fastify';
import { RosterApp } from '../../src/app.js';
import { buildServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { openTestStore, type Backend } from './store.js';

export interface TestServer {
  app: RosterApp;
  server: FastifyInstance;
  adminToken: string;
  /** The CLI's global options reaching the same database. */
  cliArgs: string[];
  /** The SQLite data directory, for the CLI (`--data`). */
  dataDir: string;
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'Admin-Password-1';

/** A server on a fresh store (SQLite unless told), its administrator created, logged on through the API. */
export async function startTestServer(backend: Backend = 'sqlite'): Promise<TestServer> {
  const { dataDir, databaseUrl } = await openTestStore(backend).then(async (test) => (await test.store.close(), test));
  process.env.ROSTER_ADMIN_PASSWORD = ADMIN_PASSWORD;
  const app = await RosterApp.open({ dataDir, databaseUrl, log: createLogger({ level: 'silent' }) });
  await app.ensureAdministrator();
  const server = await buildServer(app);
  const login = await server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: ADMIN_PASSWORD } });
  if (login.statusCode !== 200) throw new Error(`admin login failed: ${login.body}`);
  return {
    app,
    server,
    adminToken: login.json().token,
    cliArgs: ['--data', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])],
    dataDir,
    close: async () => {
      await server.close();
      await app.close();
    },
  };
}
