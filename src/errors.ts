/**
 * One error type for everything an administrator or a script can run into.
 * `code` is stable (documented in docs/errors.md and checked by a test); `message` says what to do.
 * Messages must never contain passwords: build them from names, DNs and server result codes only.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { status: 400, summary: 'The settings (or other input) failed validation; every invalid field is listed with its path.' },
  INPUT_INVALID: { status: 400, summary: 'A command argument or API payload is invalid.' },
  NOT_FOUND: { status: 404, summary: 'The named user, run or resource does not exist.' },
  CONFLICT: { status: 409, summary: 'The request conflicts with existing data (for example a user name already taken).' },
  DIRECTORY_NOT_CONFIGURED: { status: 409, summary: 'No directory settings are stored yet; run `roster directory set FILE` first.' },
  LDAP_CONNECT_FAILED: { status: 502, summary: 'No directory server could be reached (refused, unreachable or timed out).' },
  LDAP_TLS_UNTRUSTED: { status: 502, summary: 'The server certificate could not be verified; set caCertificate or ignoreSslWarnings.' },
  LDAP_TLS_FAILED: { status: 502, summary: 'The TLS handshake or StartTLS failed for a reason other than trust.' },
  LDAP_INVALID_CREDENTIALS: { status: 502, summary: 'The directory rejected the administrative DN or its password.' },
  LDAP_NO_SUCH_BASE: { status: 502, summary: 'The base DN does not exist on the server.' },
  LDAP_BASE_DN_UNDETECTED: { status: 502, summary: 'The base DN was left empty and the root DSE did not name a single naming context.' },
  LDAP_FILTER_REJECTED: { status: 502, summary: 'The server rejected a search filter or attribute.' },
  LDAP_SIZE_LIMIT: { status: 502, summary: 'The server stopped the search at its size limit; the read is incomplete.' },
  LDAP_TIME_LIMIT: { status: 502, summary: 'The server or the client timed out during the read; the read is incomplete.' },
  LDAP_REFERRAL: { status: 502, summary: 'The server answered with a referral, which Roster does not follow.' },
  LDAP_OPERATION_FAILED: { status: 502, summary: 'Another LDAP error; the message carries the server result code.' },
  LDAP_PROTOCOL_ERROR: { status: 502, summary: 'The server sent a malformed or oversized LDAP message; the connection was closed.' },
  SYNC_INCOMPLETE_READ: { status: 502, summary: 'The directory read did not complete; nothing was committed.' },
  SYNC_EMPTY_READ: { status: 409, summary: 'The read found no user in scope while directory users exist; refused to protect them.' },
  SYNC_DELETE_GUARD: { status: 409, summary: 'The run would delete more users than options.maxDeletions allows.' },
  SYNC_COOKIE_REFUSED: {
    status: 502,
    summary:
      "The stored change-tracking cookie cannot be continued from: the directory server refused it (RFC 4533 e-syncRefreshRequired; on AD another domain controller, a changed invocationId or a stored USN above its highestCommittedUSN), or its change log no longer holds the changes since (389-DS's retro changelog, trimmed); the run reads the whole directory instead.",
  },
  SYNC_ALREADY_RUNNING: { status: 409, summary: 'Another synchronization holds the lock.' },
  SYNC_LOCK_LOST: { status: 409, summary: "The run's lease on the sync lock ended and another instance took it over; nothing was committed." },
  AUTH_REQUIRED: { status: 401, summary: 'The request needs a session: log on first and send the token or the session cookie.' },
  FORBIDDEN: { status: 403, summary: 'The session lacks the privilege (or the CSRF token) the request needs.' },
  AUTH_REJECTED: { status: 401, summary: 'Invalid user name or password (the log says why).' },
  AUTH_PASSWORD_EXPIRED: { status: 401, summary: 'The directory password has expired.' },
  AUTH_MUST_CHANGE_PASSWORD: { status: 401, summary: 'The directory requires the password to be changed first.' },
  AUTH_ACCOUNT_LOCKED: { status: 401, summary: 'The account is locked, in the directory or by Roster throttling.' },
  AUTH_DIRECTORY_UNAVAILABLE: { status: 503, summary: 'The directory could not be reached to check the password.' },
  WEBHOOK_DELIVERY_FAILED: { status: 502, summary: 'A webhook receiver did not accept a test or retried delivery (no 2xx answer, refused, timed out).' },
  STORE_DISK_FULL: { status: 507, summary: "The disk (or the database's quota) is full; nothing was changed. Free space, then run again." },
  STORE_READ_ONLY: { status: 503, summary: 'The data directory or the database cannot be written (read-only file system, permissions); nothing was changed.' },
  STORE_LOCKED: { status: 503, summary: 'Another program holds a lock on the database for longer than Roster waits (10 s); nothing was changed.' },
  INTERNAL: { status: 500, summary: 'An unexpected failure; see the log.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldIssue {
  path: string;
  message: string;
}

export class RosterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: FieldIssue[] | Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: FieldIssue[] | Record<string, unknown>; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'RosterError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isRosterError(error: unknown, code?: ErrorCode): error is RosterError {
  return error instanceof RosterError && (code === undefined || error.code === code);
}

/** Exit codes of DESIGN §4: 2 for invalid input, 1 for everything refused or failed. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return isRosterError(error) && (error.code === 'CONFIG_INVALID' || error.code === 'INPUT_INVALID') ? 2 : 1;
}
