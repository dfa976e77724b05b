/**
 * The first-start administrator: created whenever no enabled user holds the `admin` privilege, by `roster
 * serve` and by every CLI command that opens the database, so a database is never left without a way into
 * the console (a first `roster directory sync` from the CLI used to leave one).
 *
 * Safe for many processes at once on one database: the insert tolerates a conflict on the name, so exactly
 * one process creates the account and reports its password; the others find the administrator and go on.
 */
import { randomBytes } from 'node:crypto';
import { PRIVILEGES } from '../config/schema.js';
import { RosterError } from '../errors.js';
import type { User } from '../model.js';
import type { Store } from '../store/store.js';
import { hasEnabledAdministrator, insertUserIfNameFree } from '../store/users.js';

export type AdministratorOutcome = { created: false } | { created: true; userName: string; generatedPassword?: string };

/**
 * `admin` first; when that name belongs to someone else (a disabled administrator, a directory user called
 * admin: never promoted, that would hand the console to whoever owns the directory account), the next one.
 */
const CANDIDATE_NAMES = ['admin', 'roster-admin', ...Array.from({ length: 8 }, (_, index) => `roster-admin-${index + 2}`)];

function administrator(userName: string): User {
  return {
    userName,
    fullName: 'Administrator',
    emailAddresses: [],
    source: 'manual',
    authentication: 'local',
    disabled: false,
    privileges: [...PRIVILEGES],
    archiveAccess: ['read', 'write', 'delete'],
    dn: null,
    stableId: null,
  };
}

/** Creates the administrator when none is enabled, with ROSTER_ADMIN_PASSWORD or a generated password. */
export async function ensureAdministrator(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<AdministratorOutcome> {
  if (await hasEnabledAdministrator(store.db)) return { created: false };
  const given = env.ROSTER_ADMIN_PASSWORD;
  const password = given || randomBytes(12).toString('base64url');
  // Loaded only now: the CLI opens the database for every command, and almost always finds an administrator.
  const { hashPassword } = await import('../auth/passwords.js');
  const passwordHash = await hashPassword(password);
  for (const userName of CANDIDATE_NAMES) {
    if (await insertUserIfNameFree(store.db, administrator(userName), passwordHash)) {
      return given ? { created: true, userName } : { created: true, userName, generatedPassword: password };
    }
    // The name was taken: by a sibling process that just created the administrator, or by an unrelated user.
    if (await hasEnabledAdministrator(store.db)) return { created: false };
  }
  throw new RosterError(
    'CONFLICT',
    `No user holds the admin privilege and the names ${CANDIDATE_NAMES.join(', ')} are all taken; create an administrator with \`roster users add NAME --privilege admin --privilege login --password-stdin\`.`,
  );
}

/** The line(s) telling the operator about a created administrator; the generated password appears only here. */
export function administratorNotice(outcome: AdministratorOutcome): string {
  if (!outcome.created) return '';
  if (!outcome.generatedPassword) return `Created the administrator "${outcome.userName}" with the password from ROSTER_ADMIN_PASSWORD.\n`;
  return `\nCreated the administrator "${outcome.userName}" with the password: ${outcome.generatedPassword}\nNo user held the admin privilege. The password is shown only this once; change it after logging on.\n\n`;
}
