/**
 * Turns what ldapts and Node's sockets throw into RosterErrors with stable codes and messages that say
 * what to fix. Result codes are RFC 4511 §4.1.9; ldapts exposes them as `code` on its ResultCodeError.
 */
import { RosterError } from '../errors.js';

const UNTRUSTED_CERTIFICATE_CODES = new Set([
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

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EADDRNOTAVAIL']);

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

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}

export function resultCodeOf(error: unknown): number | undefined {
  const code = (error as ErrorLike | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Diagnostic text of the server (e.g. AD's "data 52e"), without ldapts' "Code: 0x31" suffix. */
export function diagnosticOf(error: unknown): string {
  const message = String((error as ErrorLike | undefined)?.message ?? '');
  return message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
}

export function isNetworkError(error: unknown): boolean {
  const code = (error as ErrorLike | undefined)?.code;
  const message = String((error as ErrorLike | undefined)?.message ?? '');
  return (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /Connection timeout|Operation timed out|Connection closed|Socket connection not established|socket hang up/i.test(message) ||
    resultCodeOf(error) === RESULT_CODE.unavailable ||
    resultCodeOf(error) === RESULT_CODE.busy
  );
}

export function isUntrustedCertificate(error: unknown): boolean {
  const code = (error as ErrorLike | undefined)?.code;
  return typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code);
}

/** Maps an error during an operation; `what` names it for the message ("search of users under dc=..."). */
export function toRosterError(error: unknown, what: string, server?: string): RosterError {
  if (error instanceof RosterError) return error;
  const at = server ? ` (${server})` : '';
  const detail = diagnosticOf(error);
  if (isUntrustedCertificate(error)) {
    const code = String((error as ErrorLike).code);
    return new RosterError(
      'LDAP_TLS_UNTRUSTED',
      `The certificate of the directory server${at} is not trusted (${code}). Set connection.caCertificate to the CA that signed it, or connection.ignoreSslWarnings: true to accept it anyway.`,
      { cause: error },
    );
  }
  const message = String((error as ErrorLike | undefined)?.message ?? '');
  if (/Operation timed out/i.test(message)) {
    return new RosterError('LDAP_TIME_LIMIT', `The directory server${at} did not answer the ${what} in time (connection.timeoutSeconds).`, { cause: error });
  }
  if (isNetworkError(error)) {
    return new RosterError('LDAP_CONNECT_FAILED', `The directory server${at} could not be reached or dropped the connection during the ${what}: ${detail || 'no detail'}.`, {
      cause: error,
    });
  }
  switch (resultCodeOf(error)) {
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
        `The directory server${at} stopped the ${what} at its size limit, so the read is incomplete. Raise the limit for the administrative DN (OpenLDAP: limits ... size.prtotal=unlimited) or narrow the filter.`,
        { cause: error },
      );
    case RESULT_CODE.timeLimitExceeded:
      return new RosterError('LDAP_TIME_LIMIT', `The directory server${at} stopped the ${what} at its time limit, so the read is incomplete.`, { cause: error });
    case RESULT_CODE.referral:
      return new RosterError(
        'LDAP_REFERRAL',
        `The directory server${at} answered the ${what} with a referral, which Roster does not follow. Point connection.server at a server holding the base DN.`,
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
        `The directory server${at} refused the ${what}: ${detail}. It may require an encrypted connection (protocol ldap-tls or ldap-ssl) or more privileges.`,
        { cause: error },
      );
    default:
      return new RosterError('LDAP_OPERATION_FAILED', `The ${what} failed${at}: ${detail || 'unknown error'}.`, { cause: error });
  }
}

/**
 * AD explains a failed bind in the diagnostic text: "80090308: LdapErr: DSID-0C09042A, comment:
 * AcceptSecurityContext error, data 52e, v3839". The `data` field is the Windows error (52e = bad password).
 */
export function adBindSubcode(error: unknown): string | undefined {
  return /\bdata ([0-9a-f]{3,8})\b/i.exec(diagnosticOf(error))?.[1]?.toLowerCase();
}
