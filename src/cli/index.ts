/** The `roster` command line (DESIGN §4). Exit codes: 0 success, 1 refused or failed, 2 bad usage or input. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { RosterError } from '../errors.js';
import { registerDirectoryCommands } from './directory.js';
import { registerUserCommands } from './users.js';
import { registerLoginCommand } from './login.js';
import { registerServeCommand } from './serve.js';
import { registerWebhookCommands } from './webhooks.js';
import { printNote, reportError } from './output.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('roster')
    .description('Roster: a user directory server synchronized with LDAP')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--data <dir>', 'data directory of the embedded SQLite database', process.env.ROSTER_DATA ?? './data')
    .option('--database-url <url>', 'PostgreSQL URL (postgres://...) instead of the embedded database', process.env.ROSTER_DATABASE_URL)
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (text) => printNote(text) });
  registerDirectoryCommands(program);
  registerUserCommands(program);
  registerLoginCommand(program);
  registerServeCommand(program);
  registerWebhookCommands(program);
  for (const command of program.commands) applyExitOverride(command);
  return program;
}

function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof RosterError || error instanceof Error) return reportError(error);
    return reportError(error);
  }
}
