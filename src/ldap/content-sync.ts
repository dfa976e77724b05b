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

/**
 * Where a server's content synchronization departs from RFC 4533 in ways a client must know; the conforming
 * default is all false. Observed on 389-DS 2.3.1 (test/integration/dirsrv-content-sync.test.ts), and so written in
 * 389-ds-base's plugins/sync/sync_refresh.c and sync_util.c:
 * - a refresh with a cookie sends the changed entries (state add), the deleted ones and those moved out of the
 *   base in syncIdSets with refreshDeletes TRUE, never a present phase, and ends with a Sync Done whose
 *   refreshDeletes is FALSE (sync_result_msg always sends FALSE). Read as §3.3.2 says, that is a present phase
 *   that named no entry: every unchanged entry would be gone. It is a delete phase (`deletePhaseAfterCookie`).
 * - a changed entry is sent only if it matches the search filter as it is now (sync_send_entry_from_changelog), and
 *   its leaving the filter is not reported as a deletion: an entry that leaves the filter is never reported. The
 *   changed entries it sends carry every user attribute and no operational one (nsUniqueId, entryUUID), whatever
 *   the search asked for (sync_send_entry_from_changelog passes no attribute list). So its refreshes say which
 *   entries changed, not what they are (`reportsChangedEntries` false): directory/change-feed.ts reads them.
 * - a cookie older than the retro changelog (trimmed by nsslapd-changelogmaxage) is accepted, and the changes
 *   trimmed away are silently not sent (sync_cookie_isvalid: "Accept any state request for now"). Its cookie is
 *   server#client#changenumber (sync_cookie2str) and the root DSE names the oldest change it still holds
 *   (firstchangenumber), so the client checks (`checkHistory`, see assertHistoryHolds).
 * - it sends deletions in syncIdSets of at most 50 and drops the deletion that finds a set full
 *   (sync_send_deleted_entries flushes the 50 and goes on without adding the 51st; observed: 100 deletions, 99
 *   reported). A set of 50 means a deletion may be missing (`dropsDeletionAfterIdSetOf`): the refresh says so in
 *   `deletionsMayBeMissing`, and directory/change-feed.ts finds the deleted entries itself.
 */
export interface ContentSyncDialect {
  readonly deletePhaseAfterCookie: boolean;
  readonly reportsChangedEntries: boolean;
  readonly checkHistory: boolean;
  /** A syncIdSet of deletions this large may have lost the next one (0: never). */
  readonly dropsDeletionAfterIdSetOf: number;
}

const RFC_4533: ContentSyncDialect = { deletePhaseAfterCookie: false, reportsChangedEntries: true, checkHistory: false, dropsDeletionAfterIdSetOf: 0 };
const DIRECTORY_SERVER_389: ContentSyncDialect = { deletePhaseAfterCookie: true, reportsChangedEntries: false, checkHistory: true, dropsDeletionAfterIdSetOf: 50 };

/**
 * The server's content synchronization from its root DSE: undefined when it does not list the Sync Request control
 * (RFC 4533 §2.2; RFC 4512 §5.1 supportedControl). 389-DS and its Red Hat build name themselves in vendorVersion
 * ("389-Directory/2.3.1 B2025.016.1616", "Red Hat-Directory/...") and vendorName ("389 Project").
 */
export function contentSyncDialect(rootDse: LdapEntry | undefined): ContentSyncDialect | undefined {
  if (!(rootDse?.values('supportedControl') ?? []).includes(SYNC_OID.request)) return undefined;
  const vendor = `${rootDse?.first('vendorName') ?? ''} ${rootDse?.first('vendorVersion') ?? ''}`;
  return /\b389 Project\b|(^|\s)(389|Red Hat)-Directory\//i.test(vendor) ? DIRECTORY_SERVER_389 : RFC_4533;
}

/** The root DSE attributes contentSyncDialect reads. */
export const CONTENT_SYNC_ROOT_DSE_ATTRIBUTES = ['supportedControl', 'vendorName', 'vendorVersion'];

/** The root DSE attribute naming the oldest change 389's retro changelog still holds. */
export const FIRST_CHANGE_ATTRIBUTE = 'firstchangenumber';

/**
 * 389-DS: refuses (SYNC_COOKIE_REFUSED) when a cookie that was sent continues from a change older than the oldest
 * one the retro changelog still holds. Read after the refreshes: trimming only moves the oldest change forward, so
 * a changelog that still held the next change then held it during the refreshes too. A cookie without a change
 * number, or a root DSE without one, is left to the server, which refuses those itself (observed: 4096).
 */
export function assertHistoryHolds(dialect: ContentSyncDialect, sent: readonly (Buffer | undefined)[], rootDse: LdapEntry | undefined): void {
  if (!dialect.checkHistory) return;
  const first = Number(rootDse?.first(FIRST_CHANGE_ATTRIBUTE));
  if (!Number.isSafeInteger(first)) return;
  for (const cookie of sent) {
    const continuesFrom = cookie && /#(\d+)$/.exec(cookie.toString('utf8'));
    if (continuesFrom && Number(continuesFrom[1]) + 1 < first)
      throw new RosterError(
        'SYNC_COOKIE_REFUSED',
        `The directory server's change log no longer holds the changes after the stored change-tracking cookie (it continues from change ${continuesFrom[1]}, the oldest kept is ${first}).`,
      );
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
  /** The server may have left deletions out (see ContentSyncDialect.dropsDeletionAfterIdSetOf). */
  readonly deletionsMayBeMissing?: boolean;
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
  deletionsMayBeMissing: boolean;
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

function onIntermediate(collector: Collector, response: { readonly name?: string; readonly value?: Buffer }, dialect: ContentSyncDialect): void {
  if (response.name !== SYNC_OID.info || !response.value) return;
  const info = decodeSyncInfoValue(response.value);
  if (info.cookie) collector.cookie = info.cookie;
  if (info.kind !== 'syncIdSet') return;
  for (const uuid of info.uuids) (info.refreshDeletes ? collector.deleted : collector.present).add(uuid);
  if (info.refreshDeletes && dialect.dropsDeletionAfterIdSetOf > 0 && info.uuids.length >= dialect.dropsDeletionAfterIdSetOf) collector.deletionsMayBeMissing = true;
}

function handlers(collector: Collector, dialect: ContentSyncDialect): ControlledSearchHandlers {
  return {
    onEntry: (entry, controls) => onEntry(collector, entry, controls),
    onIntermediate: (response) => onIntermediate(collector, response, dialect),
    onReference: (uris) => collector.references.push(...uris),
  };
}

/**
 * One refreshOnly content synchronization from `cookie` (none: every entry comes as changed). A refused cookie is
 * SYNC_COOKIE_REFUSED; any other result but success is the usual typed error.
 */
export async function refreshOnly(
  session: LdapSession,
  request: Omit<SearchRequestSpec, 'pageSize'>,
  cookie: Buffer | undefined,
  dialect: ContentSyncDialect = RFC_4533,
): Promise<RefreshResult> {
  const collector: Collector = {
    changed: new Map(),
    deleted: new Set(),
    present: new Set(),
    cookie: undefined,
    refreshDeletes: false,
    deletionsMayBeMissing: false,
    references: [],
  };
  // RFC 4533 §2.2: critical, so a server without content synchronization refuses rather than ignores it.
  const control: Control = { oid: SYNC_OID.request, critical: true, value: encodeSyncRequestValue('refreshOnly', cookie) };
  let done;
  try {
    done = await session.searchWithControls({ ...request, controls: [control] }, handlers(collector, dialect));
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
  // 389-DS: a refresh from a cookie reports deletions only (see ContentSyncDialect), whatever its Sync Done says.
  collector.refreshDeletes = value.refreshDeletes || (cookie !== undefined && dialect.deletePhaseAfterCookie);
  return collector;
}
