import { join } from 'node:path';
import type { Command } from 'commander';
import { DirectoryAccessProvider } from '../auth/directory-access.js';
import { Authenticator } from '../auth/login.js';
import { RosterError } from '../errors.js';
import { createLogger } from '../log.js';
import { globalOptions, readStdin, withStore } from './context.js';
import { printJson } from './output.js';

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('check a user name and password as a login would; the user as JSON on success (reasons go to data/roster.log)')
    .argument('<name>')
    .option('--password-stdin', 'read the password from standard input (required)')
    .action(async (name: string, options: { passwordStdin?: boolean }, command: Command) => {
      if (!options.passwordStdin) throw new RosterError('INPUT_INVALID', 'password: pass it on standard input with --password-stdin');
      const password = await readStdin();
      const log = createLogger({ destination: process.env.ROSTER_LOG_FILE ?? join(globalOptions(command).data, 'roster.log') });
      const user = await withStore(command, async (store) => {
        const directory = new DirectoryAccessProvider(store);
        try {
          return await new Authenticator(store, directory, log).login({ userName: name, password });
        } finally {
          await directory.close();
        }
      });
      await printJson(user);
    });
}
