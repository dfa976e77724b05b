import type { Command } from 'commander';
import { administratorNotice } from '../admin/administrator.js';
import { RosterError } from '../errors.js';
import { globalOptions } from './context.js';
import { printNote } from './output.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server: API under /api, web console at /, scheduled synchronization')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .action(async (options: { host: string; port: string }, command: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RosterError('INPUT_INVALID', `--port: "${options.port}" is not a port number`);
      // Loaded here, not at start-up: the other commands need neither Fastify nor the console.
      const [{ RosterApp }, { buildServer }] = await Promise.all([import('../app.js'), import('../api/server.js')]);
      const global = globalOptions(command);
      const app = await RosterApp.open({ dataDir: global.data, databaseUrl: global.databaseUrl });
      printNote(administratorNotice(await app.ensureAdministrator()));
      await app.scheduler.reload();
      // Settings changed through another instance on the same database reach this one's schedule too.
      app.scheduler.watch();
      app.deliverer.start();
      const server = await buildServer(app, { logger: true });
      await server.listen({ host: options.host, port });
      const address = server.server.address();
      const shown = typeof address === 'object' && address ? `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}/` : String(address);
      printNote(`Roster is listening on ${shown} (console) and ${shown}api/docs (API).\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await app.close();
    });
}
