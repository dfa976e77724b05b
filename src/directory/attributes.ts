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

const NONE: readonly string[] = [];

export function isValidEmail(address: string): boolean {
  return EMAIL.test(address);
}

/**
 * Addresses from an attribute's values. A value may list several addresses separated by commas. Values with a
 * type prefix (Exchange proxyAddresses: `SMTP:` primary, `smtp:` secondary, `X500:`, `sip:` ...) keep only
 * SMTP ones, the primary first. Invalid addresses and case-insensitive duplicates are dropped; `rejected`
 * lists what was dropped as invalid so the preview can say so.
 * This runs for every user read: the usual values (plain, valid, distinct addresses) are checked in place and copied
 * once; only the others go through the general rules.
 */
export function emailAddressesFrom(values: readonly string[]): { addresses: string[]; rejected: readonly string[] } {
  if (arePlainAddresses(values)) return { addresses: values.slice(), rejected: NONE };
  const addresses: string[] = [];
  const state = { primaries: 0, rejected: undefined as string[] | undefined };
  for (const value of values) {
    if (!value.includes(',')) considerAddress(value, addresses, state);
    else for (const item of value.split(',')) considerAddress(item, addresses, state);
  }
  return { addresses, rejected: state.rejected ?? NONE };
}

/** Valid addresses as they are (no list, no prefix, no spaces around), none repeated. */
function arePlainAddresses(values: readonly string[]): boolean {
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (value.includes(',') || value.includes(':') || value.trim() !== value || !isValidEmail(value)) return false;
    for (let before = 0; before < index; before++) if (values[before]!.toLowerCase() === value.toLowerCase()) return false;
  }
  return true;
}

function considerAddress(item: string, addresses: string[], state: { primaries: number; rejected: string[] | undefined }): void {
  const trimmed = item.trim();
  if (trimmed === '') return;
  const prefixed = trimmed.includes(':') ? PROXY_PREFIX.exec(trimmed) : null;
  // X500:, X400:, sip: ... are addresses of other systems, not e-mail addresses.
  if (prefixed && prefixed[1]!.toLowerCase() !== 'smtp') return;
  const address = prefixed ? prefixed[2]!.trim() : trimmed;
  if (!isValidEmail(address)) {
    (state.rejected ??= []).push(trimmed);
    return;
  }
  const key = address.toLowerCase();
  const seen = addresses.findIndex((kept) => kept.toLowerCase() === key);
  const isPrimary = prefixed?.[1] === 'SMTP';
  if (seen >= 0) {
    // A primary seen after a secondary copy of itself still goes first.
    if (!isPrimary || seen < state.primaries) return;
    addresses.splice(seen, 1);
  }
  if (isPrimary) addresses.splice(state.primaries++, 0, address);
  else addresses.push(address);
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

/**
 * `kind:value` as one flat string. A template literal makes a rope in V8 (the concatenation, a new copy of
 * "kind:" and the value: three objects, 120 bytes for an entryUUID); join() writes one string of 64. Every user read
 * keeps its stable id for the whole run.
 */
function stableId(kind: string, value: string): string {
  return [kind, value].join(':');
}

/** The entry's stable id, prefixed by its kind; the normalized DN when the server has none. */
export function stableIdOf(entry: LdapEntry, normalizedDn: string, candidates: readonly string[] = STABLE_ID_ATTRIBUTES): string {
  for (const name of candidates) {
    if (name === 'objectGUID') {
      const guid = entry.buffer(name);
      if (guid) return stableId('objectGUID', guidToString(guid));
      continue;
    }
    const value = entry.first(name);
    if (value) return stableId(name, value.toLowerCase());
  }
  return stableId('dn', normalizedDn);
}

export function isDisabledEntry(entry: LdapEntry, candidates: readonly string[] = DISABLED_ATTRIBUTES): boolean {
  for (const name of candidates) {
    if (name === 'userAccountControl') {
      const control = Number(entry.first(name));
      if (Number.isFinite(control) && (control & ACCOUNT_DISABLED) !== 0) return true;
    } else if (name === 'nsAccountLock') {
      if (entry.first(name)?.trim().toLowerCase() === 'true') return true;
    } else if (entry.has(name)) return true;
  }
  return false;
}

/**
 * Which of the stable-id and disabled-flag attributes are worth requesting, from one sample entry. Stable ids are
 * generated by the server for every entry, so the sample's tells for all; so does userAccountControl, which every
 * AD account has. The lock attributes of other servers appear only on locked entries and stay requested. An
 * attribute requested but absent costs the server a lookup per entry and the reader a search of the entry's names.
 */
export function attributesWorthRequesting(sample: LdapEntry | undefined): { stableId: string[]; disabled: string[] } {
  if (!sample) return { stableId: [...STABLE_ID_ATTRIBUTES], disabled: DISABLED_ATTRIBUTES };
  const stableId = STABLE_ID_ATTRIBUTES.find((name) => sample.has(name));
  return {
    stableId: stableId ? [stableId] : [...STABLE_ID_ATTRIBUTES],
    disabled: sample.has('userAccountControl') ? ['userAccountControl'] : DISABLED_ATTRIBUTES.filter((name) => name !== 'userAccountControl'),
  };
}

/** The user name Roster uses: trimmed, and cut to its local part when asked (alice@example.com -> alice). */
export function userNameFrom(value: string | undefined, localPartOnly: boolean): string {
  const name = (value ?? '').trim();
  if (!localPartOnly) return name;
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}
