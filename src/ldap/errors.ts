/**
 * Turns the LDAP layer's typed failures (failures.ts) and Node's socket and TLS errors into RosterErrors with stable
 * codes and messages that say what to fix. Everything is recognized by class, LDAP result code (RFC 4511 §4.1.9)
 * or Node's `err.code`; never by message text.
 */
import { RosterError } from '../errors.js';
import { FilterSyntaxError } from '../rfc/filter.js';
import {
  LdapAbandonedError,
  LdapConnectTimeoutError,
  LdapConnectionClosedError,
  LdapProtocolError,
  LdapResultError,
  LdapTimeoutError,
  LdapTlsError,
  type Control,
} from './failures.js';

const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EADDRNOTAVAIL']);

export const RESULT_CODE = {
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  strongAuthRequired: 8,
  referral: 10,
  adminLimitExceeded: 11,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  inappropriateMatching: 18,
  noSuchObject: 32,
  invalidDnSyntax: 34,
  invalidCredentials: 49,
  insufficientAccess: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  filterError: 87,
} as const;

/** Node's `err.code` (a string: ECONNREFUSED, a certificate code), if the error has one. */
function nodeCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The LDAP result code of a refused operation, if `error` (or the RosterError's cause) is one. */
export function resultCodeOf(error: unknown): number | undefined {
  const failure = error instanceof RosterError ? error.cause : error;
  return failure instanceof LdapResultError ? failure.resultCode : undefined;
}

/** The server's diagnostic message of a refused operation (e.g. AD's "... data 52e ..."); '' when there is none. */
export function diagnosticOf(error: unknown): string {
  const failure = error instanceof RosterError ? error.cause : error;
  return failure instanceof LdapResultError ? failure.diagnosticMessage : '';
}

/** The response controls of a refused operation (a password policy response on a refused bind). */
export function responseControlsOf(error: unknown): readonly Control[] {
  const failure = error instanceof RosterError ? error.cause : error;
  return failure instanceof LdapResultError ? failure.controls : [];
}

/** Failures after which the server (or the path to it) is gone: failover and the pool's reconnect apply. */
export function isNetworkError(error: unknown): boolean {
  const code = nodeCodeOf(error);
  return (
    error instanceof LdapConnectionClosedError ||
    error instanceof LdapConnectTimeoutError ||
    error instanceof LdapTimeoutError ||
    (!(error instanceof LdapTlsError) && code !== undefined && NETWORK_CODES.has(code)) ||
    resultCodeOf(error) === RESULT_CODE.unavailable ||
    resultCodeOf(error) === RESULT_CODE.busy
  );
}

export function isUntrustedCertificate(error: unknown): boolean {
  const code = nodeCodeOf(error);
  return code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code);
}

/** What happened, for a message: the failure's own text, with Node's code when there is one. */
function describe(error: unknown): string {
  const code = nodeCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

/** Maps an error during an operation; `what` names it for the message ("search of users under dc=..."). */
export function toRosterError(error: unknown, what: string, server?: string): RosterError {
  if (error instanceof RosterError) return error;
  const at = server ? ` (${server})` : '';
  if (error instanceof LdapResultError) return fromResult(error, what, at);
  return fromTransport(error, what, at);
}

/** Failures of the connection itself: network, TLS, time-outs, protocol violations. */
function fromTransport(error: unknown, what: string, at: string): RosterError {
  if (isUntrustedCertificate(error)) {
    return new RosterError(
      'LDAP_TLS_UNTRUSTED',
      `The certificate of the directory server${at} is not trusted (${nodeCodeOf(error)}). Set connection.caCertificate to the CA that signed it, or connection.ignoreSslWarnings: true to accept it anyway.`,
      { cause: error },
    );
  }
  if (error instanceof LdapTlsError) {
    return new RosterError('LDAP_TLS_FAILED', `TLS with the directory server${at} failed during the ${what}: ${describe(error)}. Check connection.protocol and the port.`, {
      cause: error,
    });
  }
  if (error instanceof LdapTimeoutError) {
    return new RosterError('LDAP_TIME_LIMIT', `The directory server${at} did not answer the ${what} in time (connection.timeoutSeconds).`, { cause: error });
  }
  if (isNetworkError(error)) {
    return new RosterError('LDAP_CONNECT_FAILED', `The directory server${at} could not be reached or dropped the connection during the ${what}: ${describe(error)}.`, {
      cause: error,
    });
  }
  if (error instanceof LdapProtocolError) {
    return new RosterError('LDAP_PROTOCOL_ERROR', `The directory server${at} sent a malformed answer to the ${what}; the connection was closed (${error.message}).`, {
      cause: error,
    });
  }
  if (error instanceof FilterSyntaxError) {
    return new RosterError('LDAP_FILTER_REJECTED', `The filter of the ${what} is not a valid RFC 4515 filter: ${error.message}.`, { cause: error });
  }
  if (error instanceof LdapAbandonedError) return new RosterError('LDAP_OPERATION_FAILED', `The ${what} was abandoned${at}.`, { cause: error });
  return new RosterError('LDAP_OPERATION_FAILED', `The ${what} failed${at}: ${describe(error)}.`, { cause: error });
}

/** A response with a result code other than success. */
function fromResult(error: LdapResultError, what: string, at: string): RosterError {
  const detail = error.diagnosticMessage || `result code ${error.resultCode}`;
  switch (error.resultCode) {
    case RESULT_CODE.invalidCredentials:
      return new RosterError(
        'LDAP_INVALID_CREDENTIALS',
        `The directory server${at} rejected the credentials of the ${what}. Check connection.administrativeDn and connection.password.`,
        { cause: error },
      );
    case RESULT_CODE.noSuchObject:
      return new RosterError('LDAP_NO_SUCH_BASE', `The ${what} failed: the base DN does not exist on the server${at}. Check connection.baseDn.`, { cause: error });
    case RESULT_CODE.sizeLimitExceeded:
    case RESULT_CODE.adminLimitExceeded:
      return new RosterError(
        'LDAP_SIZE_LIMIT',
        `The directory server${at} stopped the ${what} at its size limit, so the read is incomplete. Raise the limit for the administrative DN (OpenLDAP: limits ... size.prtotal=unlimited), set connection.pageSize below the server's per-page limit (389-DS: nsSizeLimit; AD: MaxPageSize), or narrow the filter.`,
        { cause: error },
      );
    case RESULT_CODE.busy:
    case RESULT_CODE.unavailable:
      return new RosterError(
        'LDAP_CONNECT_FAILED',
        `The directory server${at} is busy or unavailable (result code ${error.resultCode}) and did not perform the ${what}: ${detail}.`,
        {
          cause: error,
        },
      );
    case RESULT_CODE.timeLimitExceeded:
      return new RosterError('LDAP_TIME_LIMIT', `The directory server${at} stopped the ${what} at its time limit, so the read is incomplete.`, { cause: error });
    case RESULT_CODE.referral:
      return new RosterError(
        'LDAP_REFERRAL',
        `The directory server${at} answered the ${what} with a referral${error.referrals.length ? ` to ${error.referrals.join(', ')}` : ''}, which Roster does not follow. Point connection.server at a server holding the base DN.`,
        { cause: error },
      );
    case RESULT_CODE.filterError:
    case RESULT_CODE.undefinedAttributeType:
    case RESULT_CODE.inappropriateMatching:
      return new RosterError('LDAP_FILTER_REJECTED', `The directory server${at} rejected the ${what}: ${detail}. Check the filter and attribute names.`, { cause: error });
    case RESULT_CODE.strongAuthRequired:
    case RESULT_CODE.unwillingToPerform:
    case RESULT_CODE.insufficientAccess:
      return new RosterError(
        'LDAP_OPERATION_FAILED',
        `The directory server${at} refused the ${what} (result code ${error.resultCode}): ${detail}. It may require an encrypted connection (protocol ldap-tls or ldap-ssl) or more privileges.`,
        { cause: error },
      );
    default:
      return new RosterError('LDAP_OPERATION_FAILED', `The ${what} failed${at} with result code ${error.resultCode}: ${detail}.`, { cause: error });
  }
}

/**
 * AD explains a failed bind in the diagnostic text: "80090308: LdapErr: DSID-0C09042A, comment:
 * AcceptSecurityContext error, data 52e, v3839". The `data` field is the Windows error (52e = bad password).
 */
export function adBindSubcode(error: unknown): string | undefined {
  return /\bdata ([0-9a-f]{3,8})\b/i.exec(diagnosticOf(error))?.[1]?.toLowerCase();
}
