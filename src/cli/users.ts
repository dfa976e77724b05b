import { Command, Option } from 'commander';
import { hashPassword, checkNewPassword } from '../auth/passwords.js';
import { ARCHIVE_ACCESS, PRIVILEGES, type ArchiveAccess, type Privilege } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { userNameKey, type AuthenticationMethod, type User } from '../model.js';
import { deleteUser, findUser, insertUser, listUsers, type StoredUser } from '../store/users.js';
import { readStdin, withStore } from './context.js';
import { printJson } from './output.js';

function publicUser({ id: _id, dnKey: _dnKey, ...user }: StoredUser): User {
  return user;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function validateUserName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 256 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new RosterError('INPUT_INVALID', 'userName: must be 1 to 256 printable characters', { details: [{ path: 'userName', message: 'invalid user name' }] });
  }
  return trimmed;
}

function formatUsers(users: User[]): string {
  if (users.length === 0) return 'No users.\n';
  return (
    users
      .map(
        (user) =>
          `${user.userName.padEnd(24)} ${user.source.padEnd(9)} ${user.authentication.padEnd(9)} ${user.disabled ? 'disabled ' : ''}${user.fullName}  ${user.emailAddresses.join(', ')}`,
      )
      .join('\n') + '\n'
  );
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('the user database');

  users
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const all = await withStore(command, async (store) => (await listUsers(store.db)).map(publicUser));
      if (options.json) await printJson(all);
      else process.stdout.write(formatUsers(all));
    });

  users
    .command('show')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const user = await withStore(command, (store) => findUser(store.db, name));
      if (!user) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
      if (options.json) await printJson(publicUser(user));
      else process.stdout.write(formatUsers([publicUser(user)]));
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
    .action(
      async (
        name: string,
        options: { fullName: string; email?: string[]; authentication: AuthenticationMethod; passwordStdin?: boolean; privilege?: Privilege[]; archiveAccess?: ArchiveAccess[] },
        command: Command,
      ) => {
        const userName = validateUserName(name);
        for (const privilege of options.privilege ?? [])
          if (!(PRIVILEGES as readonly string[]).includes(privilege)) throw new RosterError('INPUT_INVALID', `privilege: "${privilege}" is not one of ${PRIVILEGES.join(', ')}`);
        for (const access of options.archiveAccess ?? [])
          if (!(ARCHIVE_ACCESS as readonly string[]).includes(access))
            throw new RosterError('INPUT_INVALID', `archiveAccess: "${access}" is not one of ${ARCHIVE_ACCESS.join(', ')}`);
        const emails = options.email ?? [];
        for (const email of emails) if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new RosterError('INPUT_INVALID', `email: "${email}" is not an e-mail address`);
        let passwordHash: string | null = null;
        if (options.authentication === 'local') {
          if (!options.passwordStdin) throw new RosterError('INPUT_INVALID', 'password: a local user needs --password-stdin (or use --authentication directory)');
          const password = await readStdin();
          checkNewPassword(password);
          passwordHash = await hashPassword(password);
        }
        const user: User = {
          userName,
          fullName: options.fullName.trim(),
          emailAddresses: [...new Map(emails.map((email) => [email.toLowerCase(), email])).values()],
          source: 'manual',
          authentication: options.authentication,
          disabled: false,
          privileges: options.privilege ?? ['login'],
          archiveAccess: options.archiveAccess ?? ['read'],
          dn: null,
          stableId: null,
        };
        await withStore(command, async (store) => {
          if (await findUser(store.db, userName)) throw new RosterError('CONFLICT', `A user named '${userName}' exists already (names are compared case-insensitively).`);
          await insertUser(store.db, user, passwordHash);
        });
        process.stderr.write(`User '${userName}' created (${options.authentication} authentication).\n`);
      },
    );

  users
    .command('remove')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const removed = await withStore(command, (store) => deleteUser(store.db, name));
      if (!removed) throw new RosterError('NOT_FOUND', `There is no user '${name}'.`);
      process.stderr.write(`User '${userNameKey(name)}' removed.\n`);
    });
}
