/**
 * The directory image of incremental runs as the store keeps it: each entry's requested attributes as JSON (binary
 * values, such as objectGUID, as {"$b": base64}), and the change-tracking state. Types only here, so that sync/
 * can hand them to store/ without directory/ importing the store.
 */
import { LdapProtocolError, type RawAttributes } from '../ldap/ber.js';
import type { WorthRequesting } from './read.js';

export interface ImageEntryRow {
  readonly uuid: string;
  readonly dn: string;
  /** Normalized `dn` (rfc/dn.ts dnKey). */
  readonly dnKey: string;
  readonly attributes: string;
}

export type ImageChanges =
  | { readonly replace: true; readonly users: readonly ImageEntryRow[]; readonly groups: readonly ImageEntryRow[] }
  | {
      readonly replace: false;
      readonly users: { readonly upserts: readonly ImageEntryRow[]; readonly deletes: readonly string[] };
      readonly groups: { readonly upserts: readonly ImageEntryRow[]; readonly deletes: readonly string[] };
    };

/** What a run needs to continue from the last one (stored as JSON). */
export interface TrackingState {
  readonly baseDn: string;
  readonly worth: WorthRequesting;
  /** Cookies of the user and group searches, base64. */
  readonly userCookie: string;
  readonly groupCookie?: string;
  /** The cookie of the change feed on servers that do not report entries leaving the filter (389-DS). */
  readonly changeCookie?: string;
}

type Stored = string | { $b: string };

function encodeValue(value: string | Buffer): Stored {
  return typeof value === 'string' ? value : { $b: value.toString('base64') };
}

function decodeValue(value: Stored): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.$b, 'base64');
}

function hasBinary(raw: RawAttributes): boolean {
  for (const name in raw) {
    const value = raw[name]!;
    if (Array.isArray(value) ? value.some((item) => typeof item !== 'string') : typeof value !== 'string') return true;
  }
  return false;
}

/**
 * Entries without binary values (all of them on OpenLDAP) are stored as the decoder's own JSON and read back with
 * one JSON.parse: re-mapping every value cost ~0.5 s per 100,000 entries loaded. Others are marked with a leading
 * "b" and carry binary values as {"$b": base64}.
 */
export function encodeImageAttributes(raw: RawAttributes): string {
  if (!hasBinary(raw)) return JSON.stringify(raw);
  const stored: Record<string, Stored | Stored[]> = {};
  for (const [name, value] of Object.entries(raw)) stored[name] = Array.isArray(value) ? value.map(encodeValue) : encodeValue(value);
  return 'b' + JSON.stringify(stored);
}

export function decodeImageAttributes(text: string): RawAttributes {
  if (text[0] !== 'b') {
    const raw = JSON.parse(text) as RawAttributes;
    // JSON.parse makes "__proto__" an own property, but nothing valid is called that (RFC 4512 §2.5).
    if (Object.hasOwn(raw, '__proto__')) throw new LdapProtocolError('attribute type __proto__ in the stored directory image');
    return raw;
  }
  const stored = JSON.parse(text.slice(1)) as Record<string, Stored | Stored[]>;
  const raw: RawAttributes = {};
  for (const [name, value] of Object.entries(stored)) {
    if (name === '__proto__') throw new LdapProtocolError('attribute type __proto__ in the stored directory image');
    raw[name] = Array.isArray(value) ? value.map(decodeValue) : decodeValue(value);
  }
  return raw;
}

export function encodeTrackingState(state: TrackingState): string {
  return JSON.stringify(state);
}

export function decodeTrackingState(text: string): TrackingState {
  return JSON.parse(text) as TrackingState;
}
