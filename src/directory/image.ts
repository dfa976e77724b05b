/**
 * The directory image of incremental runs as the store keeps it: each entry's requested attributes as JSON (binary
 * values, such as objectGUID, as {"$b": base64}), and the change-tracking state. Types only here, so that sync/
 * can hand them to store/ without directory/ importing the store.
 */
import type { RawAttributes } from '../ldap/ber.js';
import { LdapProtocolError } from '../ldap/ber.js';
import type { WorthRequesting } from './read.js';

export interface ImageEntryRow {
  readonly uuid: string;
  readonly dn: string;
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
}

type Stored = string | { $b: string };

function encodeValue(value: string | Buffer): Stored {
  return typeof value === 'string' ? value : { $b: value.toString('base64') };
}

function decodeValue(value: Stored): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.$b, 'base64');
}

export function encodeImageAttributes(raw: RawAttributes): string {
  const stored: Record<string, Stored | Stored[]> = {};
  for (const [name, value] of Object.entries(raw)) stored[name] = Array.isArray(value) ? value.map(encodeValue) : encodeValue(value);
  return JSON.stringify(stored);
}

export function decodeImageAttributes(text: string): RawAttributes {
  const stored = JSON.parse(text) as Record<string, Stored | Stored[]>;
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
