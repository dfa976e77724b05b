/**
 * Pure rules turning raw attribute values into the user fields of DESIGN §1: e-mail addresses (multi-valued,
 * comma-separated, Exchange proxyAddresses), stable ids, the disabled flag and user names.
 */
import type { LdapEntry } from '../ldap/entry.js';

/** Attributes that identify an entry for life, in the order they are preferred. */
export const STABLE_ID_ATTRIBUTES = ['objectGUID', 'entryUUID', 'nsUniqueId', 'ipaUniqueID'] as const;
export const BINARY_ATTRIBUTES = ['objectGUID'];
export const DISABLED_ATTRIBUTES = ['userAccountControl', 'nsAccountLock', 'pwdAccountLockedTime'];

/** AD's userAccountControl flag ACCOUNTDISABLE (MS-ADTS §2.2.16). */
const ACCOUNT_DISABLED = 0x2;

// Deliberately simple: one "@", no spaces, a dotted or bracketed domain. Full RFC 5322 would accept
// addresses no mail system delivers to, and rejecting "not-an-address" is what matters here.
const EMAIL = /^[^\s@,;<>"]+@(?:[^\s@,;<>".]+\.)+[^\s@,;<>".]+$/;
const PROXY_PREFIX = /^([A-Za-z0-9]+):(.*)$/;

export function isValidEmail(address: string): boolean {
  return EMAIL.test(address);
}

/**
 * Addresses from an attribute's values. A value may list several addresses separated by commas. Values with a
 * type prefix (Exchange proxyAddresses: `SMTP:` primary, `smtp:` secondary, `X500:`, `sip:` ...) keep only
 * SMTP ones, the primary first. Invalid addresses and case-insensitive duplicates are dropped; `rejected`
 * lists what was dropped as invalid so the preview can say so.
 */
export function emailAddressesFrom(values: string[]): { addresses: string[]; rejected: string[] } {
  const primary: string[] = [];
  const others: string[] = [];
  const rejected: string[] = [];
  for (const value of values) {
    for (const item of value.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') continue;
      const prefixed = PROXY_PREFIX.exec(trimmed);
      // X500:, X400:, sip: ... are addresses of other systems, not e-mail addresses.
      if (prefixed && prefixed[1]!.toLowerCase() !== 'smtp') continue;
      const address = prefixed ? prefixed[2]!.trim() : trimmed;
      if (!isValidEmail(address)) {
        rejected.push(trimmed);
        continue;
      }
      (prefixed?.[1] === 'SMTP' ? primary : others).push(address);
    }
  }
  const seen = new Set<string>();
  const addresses = [...primary, ...others].filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // slice(): an array grown by filter() keeps spare room; 100,000 users keep these for the whole run.
  return { addresses: addresses.slice(), rejected };
}

/** Formats AD's binary objectGUID as the usual GUID string (first three fields little-endian, MS-DTYP §2.3.4). */
export function guidToString(bytes: Buffer): string {
  if (bytes.length !== 16) return bytes.toString('hex');
  const hex = (start: number, end: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(start, end));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/** The entry's stable id, prefixed by its kind; the normalized DN when the server has none. */
export function stableIdOf(entry: LdapEntry, normalizedDn: string): string {
  const guid = entry.buffer('objectGUID');
  if (guid) return `objectGUID:${guidToString(guid)}`;
  for (const name of STABLE_ID_ATTRIBUTES.slice(1)) {
    const value = entry.first(name);
    if (value) return `${name}:${value.toLowerCase()}`;
  }
  return `dn:${normalizedDn}`;
}

export function isDisabledEntry(entry: LdapEntry): boolean {
  const control = Number(entry.first('userAccountControl'));
  if (Number.isFinite(control) && (control & ACCOUNT_DISABLED) !== 0) return true;
  if (entry.first('nsAccountLock')?.trim().toLowerCase() === 'true') return true;
  return entry.has('pwdAccountLockedTime');
}

/** The user name Roster uses: trimmed, and cut to its local part when asked (alice@example.com -> alice). */
export function userNameFrom(value: string | undefined, localPartOnly: boolean): string {
  const name = (value ?? '').trim();
  if (!localPartOnly) return name;
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}
