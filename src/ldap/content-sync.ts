/**
 * RFC 4533 content synchronization in refreshOnly mode: one search with the Sync Request control returns the
 * entries that changed since the cookie (each with a Sync State control naming its entryUUID), the entries still
 * present or the ones deleted (Sync Info messages), and a new cookie (Sync Done control).
 *
 * Never paged (RFC 4533 §3.1: the two controls do not combine; slapd then sends one page and reports the refresh
 * complete), so the search is subject to the account's size limit: reaching it is an error (LDAP_SIZE_LIMIT) and
 * nothing is concluded from a truncated refresh.
 */
import { Ber, Control, StatusCodeParser, type BerWriter } from 'ldapts';
import { RosterError } from '../errors.js';
import { LdapProtocolError, decodeSearchEntry, type Frame, type RawAttributes } from './ber.js';
import type { SearchListener } from './connection.js';
import { LdapEntry } from './entry.js';
import type { LdapSession, SearchRequestSpec } from './session.js';
import {
  SYNC_OID,
  SYNC_REFRESH_REQUIRED,
  decodeMessageControls,
  decodeSyncDoneValue,
  decodeSyncInfoValue,
  decodeSyncStateValue,
  encodeSyncRequestValue,
  BerCursor,
} from './sync-values.js';

const OPERATION = { searchEntry: 0x64, searchDone: 0x65, searchReference: 0x73, intermediate: 0x79 } as const;

class SyncRequestControl extends Control {
  constructor(private readonly value: Buffer) {
    // RFC 4533 §2.2: critical, so a server without content synchronization refuses rather than ignores it.
    super(SYNC_OID.request, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    writer.writeBuffer(this.value, Ber.OctetString);
  }
}

/** What one refresh reported. Entry keys are syncUUIDs as 32 hex digits. */
export interface RefreshResult {
  /** Entries added or modified since the cookie (all entries on a refresh without a cookie). */
  readonly changed: Map<string, LdapEntry>;
  /** Entries the server reported deleted (or out of the search's scope) in a delete phase. */
  readonly deleted: Set<string>;
  /** Unchanged entries the server reported present in a present phase. */
  readonly present: Set<string>;
  /**
   * RFC 4533 §3.3.2: false means a present phase, after which every entry neither changed nor present is gone;
   * true means a delete phase, after which only the deleted ones are.
   */
  readonly refreshDeletes: boolean;
  /** The cookie to continue from; undefined when the server sent none (then nothing can be continued). */
  readonly cookie: Buffer | undefined;
  readonly references: string[];
}

interface Collector {
  changed: Map<string, LdapEntry>;
  deleted: Set<string>;
  present: Set<string>;
  cookie: Buffer | undefined;
  refreshDeletes: boolean;
  references: string[];
}

function onEntry(collector: Collector, frame: Frame, binary: ReadonlySet<string>): void {
  const control = decodeMessageControls(frame.buffer, frame.contentEnd, frame.end).find((candidate) => candidate.oid === SYNC_OID.state);
  if (!control?.value) throw new LdapProtocolError('a content-synchronization entry came without its Sync State control');
  const state = decodeSyncStateValue(control.value);
  if (state.cookie) collector.cookie = state.cookie;
  if (state.state === 'delete') {
    collector.deleted.add(state.uuid);
    collector.changed.delete(state.uuid);
  } else if (state.state === 'present') {
    collector.present.add(state.uuid);
  } else {
    decodeSearchEntry(frame, binary, (dn: string, attributes: RawAttributes) => collector.changed.set(state.uuid, new LdapEntry(dn, attributes)));
    collector.deleted.delete(state.uuid);
  }
}

function onIntermediate(collector: Collector, frame: Frame): void {
  const cursor = new BerCursor(frame.buffer, frame.contentStart, frame.contentEnd);
  let name: string | undefined;
  let value: Buffer | undefined;
  while (!cursor.done) {
    const element = cursor.next('IntermediateResponse');
    if (element.tag === 0x80) name = frame.buffer.toString('latin1', element.start, element.end);
    else if (element.tag === 0x81) value = cursor.bytesOf(element);
  }
  if (name !== SYNC_OID.info || !value) return;
  const info = decodeSyncInfoValue(value);
  if (info.cookie) collector.cookie = info.cookie;
  if (info.kind === 'syncIdSet') for (const uuid of info.uuids) (info.refreshDeletes ? collector.deleted : collector.present).add(uuid);
}

function listener(collector: Collector, binaryAttributes: readonly string[]): SearchListener {
  const binary = new Set(binaryAttributes.map((name) => name.toLowerCase()));
  return {
    binary,
    onEntry: () => {},
    onMessage: (frame: Frame) => {
      if (frame.operation === OPERATION.searchEntry) onEntry(collector, frame, binary);
      else if (frame.operation === OPERATION.intermediate) onIntermediate(collector, frame);
      else if (frame.operation === OPERATION.searchDone) {
        const done = decodeMessageControls(frame.buffer, frame.contentEnd, frame.end).find((control) => control.oid === SYNC_OID.done);
        const value = decodeSyncDoneValue(done?.value);
        if (value.cookie) collector.cookie = value.cookie;
        collector.refreshDeletes = value.refreshDeletes;
        return false;
      } else return false;
      return true;
    },
    onReference: (uris: string[]) => collector.references.push(...uris),
  };
}

/**
 * One refreshOnly content synchronization from `cookie` (none: every entry comes as changed). A refused cookie is
 * SYNC_COOKIE_REFUSED; any other result but success is the usual typed error.
 */
export async function refreshOnly(session: LdapSession, request: Omit<SearchRequestSpec, 'pageSize'>, cookie: Buffer | undefined): Promise<RefreshResult> {
  const collector: Collector = { changed: new Map(), deleted: new Set(), present: new Set(), cookie: undefined, refreshDeletes: false, references: [] };
  const control = new SyncRequestControl(encodeSyncRequestValue('refreshOnly', cookie));
  const response = await session.searchWithControls(request, [control], listener(collector, request.binaryAttributes ?? []));
  if (response.status === SYNC_REFRESH_REQUIRED) {
    throw new RosterError(
      'SYNC_COOKIE_REFUSED',
      `The directory server (${session.server}) cannot continue the ${request.purpose} from the stored change-tracking cookie (e-syncRefreshRequired).`,
    );
  }
  if (response.status !== 0) throw session.mapError(StatusCodeParser.parse(response), request.purpose);
  return collector;
}
