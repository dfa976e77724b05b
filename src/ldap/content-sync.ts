/**
 * RFC 4533 content synchronization in refreshOnly mode: one search with the Sync Request control returns the
 * entries that changed since the cookie (each with a Sync State control naming its entryUUID), the entries still
 * present or the ones deleted (Sync Info messages), and a new cookie (Sync Done control).
 *
 * Never paged (RFC 4533 §3.1: the two controls do not combine; slapd then sends one page and reports the refresh
 * complete), so the search is subject to the account's size limit: reaching it is an error (LDAP_SIZE_LIMIT) and
 * nothing is concluded from a truncated refresh.
 */
import { RosterError } from '../errors.js';
import type { LdapEntry } from './entry.js';
import { toRosterError } from './errors.js';
import { LdapProtocolError, LdapResultError, type Control } from './failures.js';
import type { ControlledSearchHandlers, LdapSession, SearchRequestSpec } from './session.js';
import { SYNC_OID, SYNC_REFRESH_REQUIRED, decodeSyncDoneValue, decodeSyncInfoValue, decodeSyncStateValue, encodeSyncRequestValue } from './sync-values.js';

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

function onEntry(collector: Collector, entry: LdapEntry, controls: readonly Control[]): void {
  const control = controls.find((candidate) => candidate.oid === SYNC_OID.state);
  if (!control?.value) throw new LdapProtocolError('a content-synchronization entry came without its Sync State control');
  const state = decodeSyncStateValue(control.value);
  if (state.cookie) collector.cookie = state.cookie;
  if (state.state === 'delete') {
    collector.deleted.add(state.uuid);
    collector.changed.delete(state.uuid);
  } else if (state.state === 'present') {
    collector.present.add(state.uuid);
  } else {
    collector.changed.set(state.uuid, entry);
    collector.deleted.delete(state.uuid);
  }
}

function onIntermediate(collector: Collector, response: { readonly name?: string; readonly value?: Buffer }): void {
  if (response.name !== SYNC_OID.info || !response.value) return;
  const info = decodeSyncInfoValue(response.value);
  if (info.cookie) collector.cookie = info.cookie;
  if (info.kind === 'syncIdSet') for (const uuid of info.uuids) (info.refreshDeletes ? collector.deleted : collector.present).add(uuid);
}

function handlers(collector: Collector): ControlledSearchHandlers {
  return {
    onEntry: (entry, controls) => onEntry(collector, entry, controls),
    onIntermediate: (response) => onIntermediate(collector, response),
    onReference: (uris) => collector.references.push(...uris),
  };
}

/**
 * One refreshOnly content synchronization from `cookie` (none: every entry comes as changed). A refused cookie is
 * SYNC_COOKIE_REFUSED; any other result but success is the usual typed error.
 */
export async function refreshOnly(session: LdapSession, request: Omit<SearchRequestSpec, 'pageSize'>, cookie: Buffer | undefined): Promise<RefreshResult> {
  const collector: Collector = { changed: new Map(), deleted: new Set(), present: new Set(), cookie: undefined, refreshDeletes: false, references: [] };
  // RFC 4533 §2.2: critical, so a server without content synchronization refuses rather than ignores it.
  const control: Control = { oid: SYNC_OID.request, critical: true, value: encodeSyncRequestValue('refreshOnly', cookie) };
  let done;
  try {
    done = await session.searchWithControls({ ...request, controls: [control] }, handlers(collector));
  } catch (error) {
    throw toRosterError(error, request.purpose, session.server);
  }
  if (done.result.resultCode === SYNC_REFRESH_REQUIRED) {
    throw new RosterError(
      'SYNC_COOKIE_REFUSED',
      `The directory server (${session.server}) cannot continue the ${request.purpose} from the stored change-tracking cookie (e-syncRefreshRequired).`,
    );
  }
  if (done.result.resultCode !== 0) throw toRosterError(new LdapResultError('search', done.result, done.controls), request.purpose, session.server);
  const value = decodeSyncDoneValue(done.controls.find((candidate) => candidate.oid === SYNC_OID.done)?.value);
  if (value.cookie) collector.cookie = value.cookie;
  collector.refreshDeletes = value.refreshDeletes;
  return collector;
}
