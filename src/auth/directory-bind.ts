/**
 * Checking a password against the directory: find the entry (stored DN, or a search for manual users),
 * then exactly one bind as that entry (AD counts every failed bind against the account's lockout).
 */
import { RosterError, isRosterError } from '../errors.js';
import { CONTROL_OID, decodePasswordPolicy, findControl } from '../ldap/ber.js';
import { adBindSubcode, diagnosticOf, responseControlsOf, resultCodeOf } from '../ldap/errors.js';
import type { LdapSession } from '../ldap/session.js';
import { userNameFrom } from '../directory/attributes.js';
import { escapeFilterValue, parseFilter, serializeFilter } from '../rfc/filter.js';
import type { DirectoryAccess } from './directory-access.js';

export type BindOutcome =
  | { ok: true; dn: string }
  | { ok: false; code: 'AUTH_REJECTED' | 'AUTH_PASSWORD_EXPIRED' | 'AUTH_MUST_CHANGE_PASSWORD' | 'AUTH_ACCOUNT_LOCKED'; reason: string; countsAsFailure: boolean };

/** AD's bind sub-codes (the "data" field of the diagnostic) and what the caller may learn from each. */
const AD_SUBCODES: Record<string, { code: Exclude<BindOutcome, { ok: true }>['code']; reason: string; countsAsFailure: boolean }> = {
  '525': { code: 'AUTH_REJECTED', reason: 'AD: no such user (525)', countsAsFailure: true },
  '52e': { code: 'AUTH_REJECTED', reason: 'AD: wrong password (52e)', countsAsFailure: true },
  '530': { code: 'AUTH_REJECTED', reason: 'AD: logon not permitted at this time (530)', countsAsFailure: false },
  '531': { code: 'AUTH_REJECTED', reason: 'AD: logon not permitted from this workstation (531)', countsAsFailure: false },
  '532': { code: 'AUTH_PASSWORD_EXPIRED', reason: 'AD: password expired (532)', countsAsFailure: false },
  '533': { code: 'AUTH_REJECTED', reason: 'AD: account disabled (533)', countsAsFailure: false },
  '701': { code: 'AUTH_REJECTED', reason: 'AD: account expired (701)', countsAsFailure: false },
  '773': { code: 'AUTH_MUST_CHANGE_PASSWORD', reason: 'AD: password must be changed (773)', countsAsFailure: false },
  '775': { code: 'AUTH_ACCOUNT_LOCKED', reason: 'AD: account locked out (775)', countsAsFailure: false },
};

const POLICY_OUTCOMES: Partial<Record<string, { code: Exclude<BindOutcome, { ok: true }>['code']; reason: string }>> = {
  accountLocked: { code: 'AUTH_ACCOUNT_LOCKED', reason: 'password policy: account locked' },
  passwordExpired: { code: 'AUTH_PASSWORD_EXPIRED', reason: 'password policy: password expired' },
  changeAfterReset: { code: 'AUTH_MUST_CHANGE_PASSWORD', reason: 'password policy: password must be changed after a reset' },
};

/**
 * A password policy server (OpenLDAP ppolicy, 389-DS) explains a refusal in the response control of
 * draft-behera-ldap-password-policy §6.2 when the bind asked for it; the diagnostic text is never read.
 */
function passwordPolicyOutcome(cause: unknown): Exclude<BindOutcome, { ok: true }> | undefined {
  const control = findControl(responseControlsOf(cause), CONTROL_OID.passwordPolicy);
  const error = control ? decodePasswordPolicy(control).error : undefined;
  const outcome = error ? POLICY_OUTCOMES[error] : undefined;
  return outcome ? { ok: false, ...outcome, countsAsFailure: false } : undefined;
}

function unavailable(error: unknown): RosterError {
  return new RosterError('AUTH_DIRECTORY_UNAVAILABLE', 'The directory is unavailable; try again later.', { cause: error });
}

function isOutage(error: unknown): boolean {
  return isRosterError(error) && /^(LDAP_CONNECT_FAILED|LDAP_TIME_LIMIT|LDAP_TLS_UNTRUSTED|LDAP_TLS_FAILED)$/.test(error.code);
}

/** One bind; a refused bind is an outcome, an unreachable directory an error. */
export async function bindOnce(access: DirectoryAccess, dn: string, password: string): Promise<BindOutcome | { ok: false; code: 'NO_ENTRY'; subcode?: string }> {
  try {
    await access.pool.bindAs(dn, password);
    return { ok: true, dn };
  } catch (error) {
    if (isOutage(error)) throw unavailable(error);
    if (isAccountRefusal(error)) return accountRefusedOutcome(error.cause);
    if (!isRosterError(error, 'LDAP_INVALID_CREDENTIALS')) throw unavailable(error);
    return refusedBindOutcome(error.cause);
  }
}

/** RFC 4511 unwillingToPerform: the result code 389-DS gives the bind of an account locked by nsAccountLock. */
const UNWILLING_TO_PERFORM = 53;

/**
 * A user's bind answered "unwilling to perform" is a refusal of that account, not an outage: 389-DS says
 * "Account inactivated" this way (measured with 389-ds-base 2.3), and the directory is up, since the server
 * answered. Recognized by the result code, never by the text.
 */
function isAccountRefusal(error: unknown): error is RosterError {
  return isRosterError(error, 'LDAP_OPERATION_FAILED') && resultCodeOf(error.cause) === UNWILLING_TO_PERFORM;
}

function accountRefusedOutcome(cause: unknown): Exclude<BindOutcome, { ok: true }> {
  const diagnostic = diagnosticOf(cause);
  return { ok: false, code: 'AUTH_REJECTED', reason: `directory refused the bind: unwilling to perform (53)${diagnostic ? `: ${diagnostic}` : ''}`, countsAsFailure: false };
}

/** What a refused bind (result 49) means, from AD's sub-code or the password policy response control. */
export function refusedBindOutcome(cause: unknown): Exclude<BindOutcome, { ok: true }> | { ok: false; code: 'NO_ENTRY'; subcode?: string } {
  const subcode = adBindSubcode(cause);
  if (subcode && subcode !== '525' && AD_SUBCODES[subcode]) return { ok: false, ...AD_SUBCODES[subcode]! };
  const policy = passwordPolicyOutcome(cause);
  if (policy) return policy;
  // OpenLDAP answers a bind to a DN that does not exist like a wrong password (RFC 4513 §6.3.1); AD says 525.
  return { ok: false, code: 'NO_ENTRY', subcode };
}

function stableIdFilter(stableId: string): string | undefined {
  const separator = stableId.indexOf(':');
  const kind = stableId.slice(0, separator);
  const value = stableId.slice(separator + 1);
  if (kind === 'objectGUID') {
    const hex = value.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
    const bytes = Buffer.from(hex, 'hex');
    const ordered = Buffer.concat([
      Buffer.from(bytes.subarray(0, 4)).reverse(),
      Buffer.from(bytes.subarray(4, 6)).reverse(),
      Buffer.from(bytes.subarray(6, 8)).reverse(),
      bytes.subarray(8),
    ]);
    return `(objectGUID=${[...ordered].map((byte) => '\\' + byte.toString(16).padStart(2, '0')).join('')})`;
  }
  if (kind === 'entryUUID' || kind === 'nsUniqueId' || kind === 'ipaUniqueID') return `(${kind}=${escapeFilterValue(value)})`;
  return undefined;
}

const canonicalUserFilters = new WeakMap<DirectoryAccess['settings'], string>();

/** `filter` (built here from escaped values) within the settings' user filter, parsed once per settings. */
function withinUserFilter(access: DirectoryAccess, filter: string): string {
  const userFilter = access.settings.users.filter;
  if (!userFilter) return filter;
  let canonical = canonicalUserFilters.get(access.settings);
  if (canonical === undefined) {
    canonical = serializeFilter(parseFilter(userFilter));
    canonicalUserFilters.set(access.settings, canonical);
  }
  return `(&${canonical}${filter})`;
}

/** More matches than this cannot be told apart anyway: the login is refused as ambiguous. */
const LOOKUP_LIMIT = 6;

async function searchDns(access: DirectoryAccess, filter: string, attributes: string[]): Promise<Array<{ dn: string; name: string | undefined }>> {
  const base = await access.baseDn();
  return access.pool.withService(async (session: LdapSession) => {
    const entries = await session.searchFew({ base, filter, attributes, purpose: 'search for the user logging on' }, LOOKUP_LIMIT);
    return entries.map((entry) => ({ dn: entry.dn, name: attributes[0] ? entry.first(attributes[0]) : undefined }));
  });
}

/** Entries whose user name (after localPartOnly) is `userName`; the user-name attribute is matched exactly or as `name@*`. */
export async function findEntriesByName(access: DirectoryAccess, userName: string): Promise<string[]> {
  const { userName: attribute, localPartOnly } = access.settings.users;
  const value = escapeFilterValue(userName);
  const nameFilter = localPartOnly ? `(|(${attribute}=${value})(${attribute}=${value}@*))` : `(${attribute}=${value})`;
  try {
    const found = await searchDns(access, withinUserFilter(access, nameFilter), [attribute]);
    return found.filter((entry) => userNameFrom(entry.name, localPartOnly).toLowerCase() === userName.toLowerCase()).map((entry) => entry.dn);
  } catch (error) {
    throw isOutage(error) ? unavailable(error) : error;
  }
}

/** Finds a directory user's entry again after it moved: by stable id, else by name. */
export async function relocateEntry(access: DirectoryAccess, stableId: string | null, userName: string): Promise<string[]> {
  const byId = stableId ? stableIdFilter(stableId) : undefined;
  try {
    if (byId) return (await searchDns(access, withinUserFilter(access, byId), [])).map((entry) => entry.dn);
  } catch (error) {
    throw isOutage(error) ? unavailable(error) : error;
  }
  return findEntriesByName(access, userName);
}

/** Whether an entry exists at `dn` (asked with the service account). */
export async function entryExists(access: DirectoryAccess, dn: string): Promise<boolean> {
  try {
    return (await access.pool.withService((session) => session.readEntry(dn, ['1.1'], 'check of the stored DN'))) !== undefined;
  } catch (error) {
    if (isOutage(error)) throw unavailable(error);
    return false;
  }
}
