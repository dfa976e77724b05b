/**
 * The typed failures of the LDAP layer. Every failure is recognized by its class and its fields (result code,
 * Node's `err.code`), never by its message text; errors.ts maps them to RosterError codes.
 */

/** Bytes that are not a valid LDAP message, or exceed the codec's bounds. The connection that received them ends. */
export class LdapProtocolError extends Error {
  constructor(message: string) {
    super(`LDAP protocol error: ${message}`);
    this.name = 'LdapProtocolError';
  }
}

/** A control as carried on the wire (RFC 4511 §4.1.11); `value` is the raw BER of controlValue, if present. */
export interface Control {
  readonly oid: string;
  readonly critical: boolean;
  readonly value?: Buffer;
}

/** The LDAPResult of a response (RFC 4511 §4.1.9). */
export interface LdapResult {
  readonly resultCode: number;
  readonly matchedDN: string;
  readonly diagnosticMessage: string;
  /** Referral URIs (resultCode 10, RFC 4511 §4.1.10). */
  readonly referrals: readonly string[];
}

/** A response whose result code is not success: the numeric code, the server's diagnostic, and the response controls. */
export class LdapResultError extends Error {
  readonly resultCode: number;
  readonly matchedDN: string;
  readonly diagnosticMessage: string;
  readonly referrals: readonly string[];
  readonly controls: readonly Control[];

  constructor(operation: string, result: LdapResult, controls: readonly Control[] = []) {
    super(`${operation} failed with result code ${result.resultCode}${result.diagnosticMessage ? `: ${result.diagnosticMessage}` : ''}`);
    this.name = 'LdapResultError';
    this.resultCode = result.resultCode;
    this.matchedDN = result.matchedDN;
    this.diagnosticMessage = result.diagnosticMessage;
    this.referrals = result.referrals;
    this.controls = controls;
  }
}

/** A request that got no final response within its time-out (connection.timeoutSeconds). */
export class LdapTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`${operation}: no response within ${timeoutMs} ms`);
    this.name = 'LdapTimeoutError';
  }
}

/** A connect or TLS handshake that did not complete within connection.connectTimeoutSeconds. */
export class LdapConnectTimeoutError extends Error {
  constructor(step: string, timeoutMs: number) {
    super(`${step} did not complete within ${timeoutMs} ms`);
    this.name = 'LdapConnectTimeoutError';
  }
}

/** Why a connection ended before a request's response came. */
export type ClosedReason = 'server-closed' | 'notice-of-disconnection' | 'closed-by-roster';

export class LdapConnectionClosedError extends Error {
  constructor(
    readonly reason: ClosedReason,
    detail?: string,
  ) {
    super(
      {
        'server-closed': 'the server closed the connection',
        'notice-of-disconnection': 'the server sent a notice of disconnection',
        'closed-by-roster': 'the connection was closed by Roster',
      }[reason] + (detail ? ` (${detail})` : ''),
    );
    this.name = 'LdapConnectionClosedError';
  }
}

/**
 * The TLS handshake (ldaps, or after StartTLS) failed once the TCP connection stood: `code` is Node's code of the
 * cause (a certificate verification code such as DEPTH_ZERO_SELF_SIGNED_CERT, or ECONNRESET, ERR_SSL_...).
 */
export class LdapTlsError extends Error {
  readonly code: string | undefined;
  constructor(step: 'TLS handshake' | 'StartTLS', cause: Error) {
    super(`${step} failed: ${cause.message}`, { cause });
    this.name = 'LdapTlsError';
    const code = (cause as NodeJS.ErrnoException).code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** The request was abandoned (RFC 4511 §4.11) by Roster before its final response. */
export class LdapAbandonedError extends Error {
  constructor(messageId: number) {
    super(`request ${messageId} was abandoned`);
    this.name = 'LdapAbandonedError';
  }
}
