/**
 * The values of RFC 4533 (LDAP Content Synchronization Operation): the Sync Request control Roster sends, and the
 * Sync State control (on each entry), the Sync Done control (on SearchResultDone) and the Sync Info message (an
 * IntermediateResponse) it receives. Pure functions over bytes through the codec's BER reader and writer; every
 * malformed value is an LdapProtocolError.
 */
import { BerReader } from './ber-reader.js';
import { BER_TAG, BerWriter } from './ber-writer.js';
import { LdapProtocolError } from './failures.js';

export const SYNC_OID = {
  request: '1.3.6.1.4.1.4203.1.9.1.1',
  state: '1.3.6.1.4.1.4203.1.9.1.2',
  done: '1.3.6.1.4.1.4203.1.9.1.3',
  info: '1.3.6.1.4.1.4203.1.9.1.4',
} as const;

/** RFC 4533 §2.5: the result code of a refresh the server cannot continue from the cookie (e-syncRefreshRequired). */
export const SYNC_REFRESH_REQUIRED = 4096;

/** syncInfoValue's CHOICE tags (RFC 4533 §2.5): newcookie [0] primitive, the others [1]–[3] constructed. */
const INFO_TAG = { newCookie: 0x80, refreshDelete: 0xa1, refreshPresent: 0xa2, syncIdSet: 0xa3 } as const;

export type SyncMode = 'refreshOnly' | 'refreshAndPersist';

/** syncRequestValue (RFC 4533 §2.2): mode, the cookie of the last run, reloadHint left at its default FALSE. */
export function encodeSyncRequestValue(mode: SyncMode, cookie: Buffer | undefined): Buffer {
  const writer = new BerWriter(16 + (cookie?.length ?? 0));
  writer.startSequence().writeEnumerated(mode === 'refreshOnly' ? 1 : 3);
  if (cookie) writer.writeOctetString(cookie);
  return writer.end().toBuffer();
}

export type SyncState = 'present' | 'add' | 'modify' | 'delete';
const STATES: readonly SyncState[] = ['present', 'add', 'modify', 'delete'];

export interface SyncStateValue {
  readonly state: SyncState;
  /** The entry's UUID as 32 lower-case hex digits (RFC 4533 §2.1: syncUUID, 16 octets). */
  readonly uuid: string;
  readonly cookie?: Buffer;
}

function uuidOf(bytes: Buffer): string {
  if (bytes.length !== 16) throw new LdapProtocolError('a syncUUID is not 16 octets');
  return bytes.toString('hex');
}

/** A cookie, then a BOOLEAN with the given default, both optional (syncDoneValue, refreshDelete/Present, syncIdSet). */
function cookieAndFlag(reader: BerReader, flagDefault: boolean): { cookie?: Buffer; flag: boolean } {
  const cookie = reader.peekTag() === BER_TAG.octetString ? Buffer.from(reader.readOctetString()) : undefined;
  const flag = reader.peekTag() === BER_TAG.boolean ? reader.readBoolean() : flagDefault;
  return { ...(cookie ? { cookie } : {}), flag };
}

/** syncStateValue (RFC 4533 §2.3). */
export function decodeSyncStateValue(value: Buffer): SyncStateValue {
  const outer = new BerReader(value);
  const sequence = outer.readSequence();
  outer.expectEnd('syncStateValue');
  const stateCode = sequence.readEnumerated();
  const state = STATES[stateCode];
  if (!state) throw new LdapProtocolError(`unknown sync state ${stateCode}`);
  const uuid = uuidOf(sequence.readOctetString());
  const cookie = sequence.atEnd ? undefined : Buffer.from(sequence.readOctetString());
  sequence.expectEnd('syncStateValue');
  return { state, uuid, ...(cookie ? { cookie } : {}) };
}

export interface SyncDoneValue {
  readonly cookie?: Buffer;
  /** TRUE: the refresh sent the deleted entries (delete phase); FALSE: the present ones (RFC 4533 §3.3.2). */
  readonly refreshDeletes: boolean;
}

/** syncDoneValue (RFC 4533 §2.4); an absent value is all defaults. */
export function decodeSyncDoneValue(value: Buffer | undefined): SyncDoneValue {
  if (!value || value.length === 0) return { refreshDeletes: false };
  const outer = new BerReader(value);
  const sequence = outer.readSequence();
  outer.expectEnd('syncDoneValue');
  const { cookie, flag } = cookieAndFlag(sequence, false);
  sequence.expectEnd('syncDoneValue');
  return { ...(cookie ? { cookie } : {}), refreshDeletes: flag };
}

export type SyncInfoValue =
  | { readonly kind: 'newCookie'; readonly cookie: Buffer }
  | { readonly kind: 'refreshDelete' | 'refreshPresent'; readonly cookie?: Buffer; readonly refreshDone: boolean }
  | { readonly kind: 'syncIdSet'; readonly cookie?: Buffer; readonly refreshDeletes: boolean; readonly uuids: readonly string[] };

/** syncInfoValue (RFC 4533 §2.5), the CHOICE by its context tag. */
export function decodeSyncInfoValue(value: Buffer): SyncInfoValue {
  const outer = new BerReader(value);
  const tag = outer.peekTag();
  switch (tag) {
    case INFO_TAG.newCookie: {
      const cookie = Buffer.from(outer.readOctetString(INFO_TAG.newCookie));
      outer.expectEnd('syncInfoValue');
      return { kind: 'newCookie', cookie };
    }
    case INFO_TAG.refreshDelete:
    case INFO_TAG.refreshPresent: {
      const sequence = outer.readSequence(tag);
      outer.expectEnd('syncInfoValue');
      const { cookie, flag } = cookieAndFlag(sequence, true);
      sequence.expectEnd('syncInfoValue refresh');
      return { kind: tag === INFO_TAG.refreshDelete ? 'refreshDelete' : 'refreshPresent', ...(cookie ? { cookie } : {}), refreshDone: flag };
    }
    case INFO_TAG.syncIdSet: {
      const sequence = outer.readSequence(tag);
      outer.expectEnd('syncInfoValue');
      const { cookie, flag } = cookieAndFlag(sequence, false);
      const set = sequence.readSet();
      sequence.expectEnd('syncIdSet');
      const uuids: string[] = [];
      while (!set.atEnd) uuids.push(uuidOf(set.readOctetString()));
      return { kind: 'syncIdSet', ...(cookie ? { cookie } : {}), refreshDeletes: flag, uuids };
    }
    default:
      throw new LdapProtocolError(`unknown syncInfoValue choice 0x${(tag ?? 0).toString(16)}`);
  }
}
