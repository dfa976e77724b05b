/**
 * The values of RFC 4533 (LDAP Content Synchronization Operation) in BER: the Sync Request control Roster sends,
 * and the Sync State control (on each entry), the Sync Done control (on SearchResultDone) and the Sync Info
 * message (an IntermediateResponse) it receives. Pure functions over bytes, with a small bounded BER reader of its
 * own (ber.ts is specialised for search entries); every malformed value is an LdapProtocolError.
 */
import { LdapProtocolError } from './failures.js';

export const SYNC_OID = {
  request: '1.3.6.1.4.1.4203.1.9.1.1',
  state: '1.3.6.1.4.1.4203.1.9.1.2',
  done: '1.3.6.1.4.1.4203.1.9.1.3',
  info: '1.3.6.1.4.1.4203.1.9.1.4',
} as const;

/** RFC 4533 §2.5: the result code of a refresh the server cannot continue from the cookie (e-syncRefreshRequired). */
export const SYNC_REFRESH_REQUIRED = 4096;

const TAG = { boolean: 0x01, integer: 0x02, octetString: 0x04, enumerated: 0x0a, sequence: 0x30, set: 0x31 } as const;

/** One TLV: its tag and where its content lies in `bytes`. */
export interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** Reads the TLVs of bytes[start, end) in order; lengths are definite and bounded by `end` (RFC 4511 §5.1). */
export class BerCursor {
  private at: number;

  constructor(
    readonly bytes: Buffer,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.at = start;
  }

  get done(): boolean {
    return this.at >= this.end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.at];
  }

  next(what: string): Element {
    if (this.done) throw new LdapProtocolError(`${what} is missing`);
    const tag = this.bytes[this.at]!;
    if ((tag & 0x1f) === 0x1f) throw new LdapProtocolError(`${what}: multi-byte tags are not used by LDAP`);
    let at = this.at + 1;
    if (at >= this.end) throw new LdapProtocolError(`${what} has no length`);
    let length = this.bytes[at++]!;
    if (length >= 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4 || at + count > this.end) throw new LdapProtocolError(`${what} has a malformed length`);
      length = 0;
      for (let index = 0; index < count; index++) length = length * 256 + this.bytes[at++]!;
    }
    if (at + length > this.end) throw new LdapProtocolError(`${what} runs past its enclosing value`);
    this.at = at + length;
    return { tag, start: at, end: at + length };
  }

  expect(tag: number, what: string): Element {
    const element = this.next(what);
    if (element.tag !== tag) throw new LdapProtocolError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
    return element;
  }

  /** The element's content as a cursor of its own. */
  inside(element: Element): BerCursor {
    return new BerCursor(this.bytes, element.start, element.end);
  }

  bytesOf(element: Element): Buffer {
    return Buffer.from(this.bytes.subarray(element.start, element.end));
  }

  integerOf(element: Element, what: string): number {
    const length = element.end - element.start;
    if (length < 1 || length > 4) throw new LdapProtocolError(`${what} is not a small integer`);
    let value = this.bytes[element.start]! & 0x80 ? -1 : 0;
    for (let at = element.start; at < element.end; at++) value = value * 256 + this.bytes[at]!;
    return value;
  }

  booleanOf(element: Element, what: string): boolean {
    if (element.end - element.start !== 1) throw new LdapProtocolError(`${what} is not a BOOLEAN`);
    return this.bytes[element.start] !== 0;
  }
}

/** A definite-length TLV (X.690 §8.1.3). */
export function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else if (length < 0x100) header = [tag, 0x81, length];
  else if (length < 0x10000) header = [tag, 0x82, length >> 8, length & 0xff];
  else header = [tag, 0x84, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
}

export type SyncMode = 'refreshOnly' | 'refreshAndPersist';

/** syncRequestValue (RFC 4533 §2.2): mode, the cookie of the last run, reloadHint left at its default FALSE. */
export function encodeSyncRequestValue(mode: SyncMode, cookie: Buffer | undefined): Buffer {
  const parts = [tlv(TAG.enumerated, Buffer.from([mode === 'refreshOnly' ? 1 : 3]))];
  if (cookie) parts.push(tlv(TAG.octetString, cookie));
  return tlv(TAG.sequence, Buffer.concat(parts));
}

export type SyncState = 'present' | 'add' | 'modify' | 'delete';
const STATES: readonly SyncState[] = ['present', 'add', 'modify', 'delete'];

export interface SyncStateValue {
  readonly state: SyncState;
  /** The entry's UUID as 32 lower-case hex digits (RFC 4533 §2.1: syncUUID, 16 octets). */
  readonly uuid: string;
  readonly cookie?: Buffer;
}

function uuidOf(cursor: BerCursor, element: Element): string {
  if (element.tag !== TAG.octetString || element.end - element.start !== 16) throw new LdapProtocolError('a syncUUID is not 16 octets');
  return cursor.bytes.toString('hex', element.start, element.end);
}

/** syncStateValue (RFC 4533 §2.3). */
export function decodeSyncStateValue(value: Buffer): SyncStateValue {
  const outer = new BerCursor(value);
  const cursor = outer.inside(outer.expect(TAG.sequence, 'syncStateValue'));
  const stateCode = cursor.integerOf(cursor.expect(TAG.enumerated, 'syncStateValue state'), 'syncStateValue state');
  const state = STATES[stateCode];
  if (!state) throw new LdapProtocolError(`unknown sync state ${stateCode}`);
  const uuid = uuidOf(cursor, cursor.next('syncStateValue entryUUID'));
  const cookie = cursor.done ? undefined : cursor.bytesOf(cursor.expect(TAG.octetString, 'syncStateValue cookie'));
  return { state, uuid, ...(cookie ? { cookie } : {}) };
}

export interface SyncDoneValue {
  readonly cookie?: Buffer;
  /** TRUE: the refresh sent the deleted entries (delete phase); FALSE: the present ones (RFC 4533 §3.3.2). */
  readonly refreshDeletes: boolean;
}

/** A cookie, then a BOOLEAN with the given default, both optional (syncDoneValue, refreshDelete/Present). */
function cookieAndFlag(cursor: BerCursor, what: string, flagDefault: boolean): { cookie?: Buffer; flag: boolean } {
  const cookie = cursor.peekTag() === TAG.octetString ? cursor.bytesOf(cursor.next(`${what} cookie`)) : undefined;
  const flag = cursor.peekTag() === TAG.boolean ? cursor.booleanOf(cursor.next(`${what} flag`), what) : flagDefault;
  return { ...(cookie ? { cookie } : {}), flag };
}

/** syncDoneValue (RFC 4533 §2.4); an absent value is all defaults. */
export function decodeSyncDoneValue(value: Buffer | undefined): SyncDoneValue {
  if (!value || value.length === 0) return { refreshDeletes: false };
  const outer = new BerCursor(value);
  const { cookie, flag } = cookieAndFlag(outer.inside(outer.expect(TAG.sequence, 'syncDoneValue')), 'syncDoneValue', false);
  return { ...(cookie ? { cookie } : {}), refreshDeletes: flag };
}

export type SyncInfoValue =
  | { readonly kind: 'newCookie'; readonly cookie: Buffer }
  | { readonly kind: 'refreshDelete' | 'refreshPresent'; readonly cookie?: Buffer; readonly refreshDone: boolean }
  | { readonly kind: 'syncIdSet'; readonly cookie?: Buffer; readonly refreshDeletes: boolean; readonly uuids: readonly string[] };

/** syncInfoValue (RFC 4533 §2.5), the CHOICE by its context tag. */
export function decodeSyncInfoValue(value: Buffer): SyncInfoValue {
  const outer = new BerCursor(value);
  const choice = outer.next('syncInfoValue');
  if (!outer.done) throw new LdapProtocolError('syncInfoValue has trailing bytes');
  const cursor = outer.inside(choice);
  switch (choice.tag) {
    case 0x80:
      return { kind: 'newCookie', cookie: outer.bytesOf(choice) };
    case 0xa1:
    case 0xa2: {
      const { cookie, flag } = cookieAndFlag(cursor, 'syncInfoValue refresh', true);
      return { kind: choice.tag === 0xa1 ? 'refreshDelete' : 'refreshPresent', ...(cookie ? { cookie } : {}), refreshDone: flag };
    }
    case 0xa3: {
      const { cookie, flag } = cookieAndFlag(cursor, 'syncInfoValue syncIdSet', false);
      const set = cursor.inside(cursor.expect(TAG.set, 'syncIdSet syncUUIDs'));
      const uuids: string[] = [];
      while (!set.done) uuids.push(uuidOf(set, set.next('syncUUID')));
      return { kind: 'syncIdSet', ...(cookie ? { cookie } : {}), refreshDeletes: flag, uuids };
    }
    default:
      throw new LdapProtocolError(`unknown syncInfoValue choice 0x${choice.tag.toString(16)}`);
  }
}

/** A control of a response message (RFC 4511 §4.1.11). */
export interface ResponseControl {
  readonly oid: string;
  readonly critical: boolean;
  readonly value?: Buffer;
}

/** The controls of one LDAPMessage, given the bytes that follow its protocolOp ([0] Controls, or nothing). */
export function decodeMessageControls(bytes: Buffer, start: number, end: number): ResponseControl[] {
  if (start >= end) return [];
  const outer = new BerCursor(bytes, start, end);
  const list = outer.inside(outer.expect(0xa0, 'message controls'));
  const controls: ResponseControl[] = [];
  while (!list.done) {
    const control = list.inside(list.expect(TAG.sequence, 'control'));
    const oid = control.bytes.toString('latin1', ...bounds(control.expect(TAG.octetString, 'control type')));
    let critical = false;
    let value: Buffer | undefined;
    if (control.peekTag() === TAG.boolean) critical = control.booleanOf(control.next('control criticality'), 'control criticality');
    if (control.peekTag() === TAG.octetString) value = control.bytesOf(control.next('control value'));
    controls.push({ oid, critical, ...(value ? { value } : {}) });
  }
  return controls;
}

function bounds(element: Element): [number, number] {
  return [element.start, element.end];
}
