/**
 * Database failures an administrator can act on, recognized by their codes (SQLite's extended result codes,
 * PostgreSQL's SQLSTATE, Node's errno), never by message text: disk full, a data directory that cannot be
 * written, a database another program keeps locked (issue #12: the first surfaced as a failed rollback's
 * "no transaction is active", the second as a stack trace).
 */
import { RosterError } from '../errors.js';

interface CodedError {
  code?: unknown;
  cause?: unknown;
}

const DISK_FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', '53100']);
const READ_ONLY = new Set([
  'SQLITE_READONLY',
  'SQLITE_READONLY_DBMOVED',
  'SQLITE_READONLY_DIRECTORY',
  'SQLITE_READONLY_CANTINIT',
  'SQLITE_READONLY_CANTLOCK',
  'SQLITE_READONLY_RECOVERY',
  'SQLITE_CANTOPEN',
  'SQLITE_CANTOPEN_ISDIR',
  'SQLITE_IOERR_WRITE',
  'EROFS',
  'EACCES',
  'EPERM',
  '25006',
]);
const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE', '55P03']);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error as CodedError | undefined, depth = 0; current && depth < 5; current = current.cause as CodedError | undefined, depth++) {
    if (typeof current.code === 'string') codes.push(current.code);
  }
  return codes;
}

/** The RosterError an administrator should see for a database failure, or undefined when it is none of these. */
export function storeFailure(error: unknown, where: string): RosterError | undefined {
  if (error instanceof RosterError) return undefined;
  const codes = codesOf(error);
  const cause = (error as Error | undefined)?.message ?? String(error);
  if (codes.some((code) => DISK_FULL.has(code)))
    return new RosterError('STORE_DISK_FULL', `The disk holding ${where} is full (${cause}); nothing was changed. Free space there, then run the command again.`, { cause: error });
  if (codes.some((code) => READ_ONLY.has(code)))
    return new RosterError(
      'STORE_READ_ONLY',
      `${where} cannot be written (${cause}): the file system is read-only or this user may not write there; nothing was changed. Make it writable for the user running Roster, or use --data for another directory.`,
      { cause: error },
    );
  if (codes.some((code) => LOCKED.has(code)))
    return new RosterError(
      'STORE_LOCKED',
      `${where} is locked by another program (${cause}); nothing was changed. Close the other program (a database browser, a backup holding a lock), then try again.`,
      {
        cause: error,
      },
    );
  return undefined;
}
