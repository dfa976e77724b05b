import { Command, Option } from 'commander';
import { unlockUserName } from '../admin/lockouts.js';
import { createManualUser, publicUser, removeUser, streamUsers } from '../admin/users.js';
import { ARCHIVE_ACCESS, PRIVILEGES } from '../config/schema.js';
import { RosterError } from '../errors.js';
import type { User } from '../model.js';
import { findUser } from '../store/users.js';
import { readStdin, withStore } from './context.js';
import { printJson, printNote, printText, terminalSafe } from './output.js';
import { writeJsonArray } from './json-stream.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function formatUser(user: User): string {
  return `${user.userName.padEnd(24)} ${user.source.padEnd(9)} ${user.authentication.padEnd(9)} ${user.disabled ? 'disabled ' : ''}${user.pendingDeletionSince ? `(pending deletion since ${user.pendingDeletionSince}) ` : ''}${user.fullName}  ${user.emailAddresses.join(', ')}\n`;
}

/** Writes one user per line as they are read (100,000 users never sit in memory at once). */
async function writeUserLines(users: AsyncIterable<User>): Promise<void> {
  let count = 0;
  for await (const user of users) {
    count++;
    if (!process.stdout.write(terminalSafe(formatUser(user)))) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  if (count === 0) process.stdout.write('No users.\n');
}

interface ListOptions {
  json?: boolean;
  search?: string;
  source?: 'directory' | 'manual';
  authentication?: 'directory' | 'local';
}

interface AddOptions {
  fullName: string;
  email?: string[];
  authentication: 'local' | 'directory';
  passwordStdin?: boolean;
  privilege?: string[];
  archiveAccess?: string[];
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('the user database');

  users
    .command('list')
    .description('list users ordered by name, streamed as they are read')
    .option('--json', 'print JSON (an array of users)')
    .option('--search <text>', 'only users whose name, full name or an address contains the text (case-insensitive)')
    .addOption(new Option('--source <source>', 'only users of this source').choices(['directory', 'manual']))
    .addOption(new Option('--authentication <method>', 'only users logging on this way').choices(['directory', 'local']))
    .action(async (options: ListOptions, command: Command) => {
      await withStore(command, async (store) => {
        const users = streamUsers(store, { q: options.search, source: options.source, authentication: options.authentication });
        if (options.json) await writeJsonArray(users, process.stdout, { pretty: process.stdout.isTTY === true });
        else await writeUserLines(users);
      });
    });

  users
    .command('show')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const user = await withStore(command, (store) => findUser(store.db, name));
      if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
      if (options.json) await printJson(publicUser(user));
      else printText(formatUser(publicUser(user)));
    });

  users
    .command('add')
    .description('create a manual user (local password, or directory authentication)')
    .argument('<name>')
    .option('--full-name <name>', 'display name', '')
    .option('--email <address>', 'e-mail address (repeatable; the first is primary)', collect)
    .addOption(new Option('--authentication <method>', 'how the user logs on').choices(['local', 'directory']).default('local'))
    .option('--password-stdin', 'read the local password from standard input')
    .option('--privilege <privilege>', `privilege (repeatable): ${PRIVILEGES.join(', ')}`, collect)
    .option('--archive-access <access>', `access to the own archive (repeatable): ${ARCHIVE_ACCESS.join(', ')}`, collect)
    .action(async (name: string, options: AddOptions, command: Command) => {
      if (options.authentication === 'local' && !options.passwordStdin) {
        throw new RosterError('INPUT_INVALID', 'password: a local user needs --password-stdin (or use --authentication directory)');
      }
      const input = {
        userName: name,
        fullName: options.fullName,
        emailAddresses: options.email ?? [],
        authentication: options.authentication,
        ...(options.privilege ? { privileges: options.privilege } : {}),
        ...(options.archiveAccess ? { archiveAccess: options.archiveAccess } : {}),
        ...(options.authentication === 'local' ? { password: await readStdin() } : {}),
      };
      // An administrator added here (the way back in, README) is the one: no generated `admin` besides it.
      const user = await withStore(command, (store) => createManualUser(store, input, 'cli'), { ensureAdministrator: !options.privilege?.includes('admin') });
      printNote(`User '${user.userName}' created (${user.authentication} authentication).\n`);
    });

  users
    .command('keep')
    .description('keep a user pending deletion: it becomes a manual user, enabled, never changed by sync again')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { keepPendingUser } = await import('../admin/pending.js');
      const user = await withStore(command, (store) => keepPendingUser(store, name, 'cli'));
      printNote(`User '${user.userName}' kept as a manual user.\n`);
    });

  users
    .command('delete-now')
    .description('delete a user pending deletion without waiting for the grace period')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { deletePendingUserNow } = await import('../admin/pending.js');
      await withStore(command, (store) => deletePendingUserNow(store, name, 'cli'));
      printNote(`User '${name.trim()}' deleted.\n`);
    });

  users
    .command('remove')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withStore(command, (store) => removeUser(store, name, 'cli'));
      printNote(`User '${name.trim()}' removed.\n`);
    });

  users
    .command('unlock')
    .description('lift the login block of a user name (after too many failed logins); needs no login')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const result = await withStore(command, (store) => unlockUserName(store, name));
      if (options.json) await printJson(result);
      else printNote(result.unlocked ? `Logins for '${result.userName}' are unlocked.\n` : `'${result.userName}' was not locked.\n`);
    });
}
