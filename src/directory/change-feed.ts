/**
 * Incremental reads on a server whose content synchronization says which entries changed but not, or not fully,
 * what they now are (389-DS: see ContentSyncDialect in ldap/content-sync.ts). Its refreshes from a cookie send a
 * changed entry only while it matches the filter (one that leaves it is never reported) and with every user
 * attribute but no operational one (nsUniqueId, entryUUID) whatever was requested. So the incremental read asks
 * it one thing: a refresh of every entry under the base without attributes (the "change feed"), which names each
 * entry changed or deleted since the cookie. The changed ones are then read with ordinary searches, by nsUniqueId
 * and with the search's own filter and attributes: those returned are the changed entries, an entry the image
 * held that is not returned has left the filter (or the base). Each search tells the state at its time, after the
 * feed's cookie was taken: a later change is in the next feed. When the feed may have left deletions out (389's
 * lost 51st deletion, see ContentSyncDialect), every entry under the base is listed again (the feed without a
 * cookie: syncUUIDs only), and what the image holds that is not listed is gone.
 */
import type { RefreshResult } from '../ldap/content-sync.js';
import type { LdapEntry } from '../ldap/entry.js';
import type { LdapSession } from '../ldap/session.js';
import { escapeFilterValue } from '../rfc/filter.js';
import { BINARY_ATTRIBUTES } from './attributes.js';

/** nsUniqueId values per search: a filter of 100 terms is ~5 KB, far below 389's nsslapd-maxbersize (2 MB). */
const BATCH = 100;

/** The feed's search: every entry under the base, no attributes (RFC 4511 §4.5.1.8: "1.1" asks for none). */
export const FEED_SEARCH = { filter: '(objectClass=*)', attributes: ['1.1'] } as const;

/**
 * 389's syncUUID is its nsUniqueId's 32 hex digits without the dashes (sync_nsuniqueid2uuid in 389-ds-base's
 * plugins/sync/sync_util.c; observed: nsUniqueId 104d854d-ea8d11f1-a67385f1-9caef5d1, syncUUID
 * 104d854dea8d11f1a67385f19caef5d1).
 */
export function nsUniqueIdOf(uuid: string): string {
  return `${uuid.slice(0, 8)}-${uuid.slice(8, 16)}-${uuid.slice(16, 24)}-${uuid.slice(24, 32)}`;
}

export function syncUuidOfNsUniqueId(value: string | undefined): string | undefined {
  const hex = value?.replace(/-/g, '').toLowerCase();
  return hex && /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
}

export interface FilteredSearch {
  readonly base: string;
  /** The canonical filter (parenthesized). */
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly purpose: string;
  readonly pageSize: number;
}

/** The entries among `uuids` that `search` returns now, by syncUUID. */
async function lookUp(session: LdapSession, search: FilteredSearch, uuids: readonly string[]): Promise<Map<string, LdapEntry>> {
  const found = new Map<string, LdapEntry>();
  for (let start = 0; start < uuids.length; start += BATCH) {
    const batch = new Set(uuids.slice(start, start + BATCH));
    const terms = [...batch].map((uuid) => `(nsUniqueId=${escapeFilterValue(nsUniqueIdOf(uuid))})`).join('');
    const pages = session.searchPages({
      base: search.base,
      filter: `(&${search.filter}(|${terms}))`,
      attributes: [...new Set([...search.attributes, 'nsUniqueId'])],
      binaryAttributes: BINARY_ATTRIBUTES,
      pageSize: search.pageSize,
      purpose: search.purpose,
    });
    for await (const page of pages)
      for (const entry of page.entries) {
        const uuid = syncUuidOfNsUniqueId(entry.first('nsUniqueId'));
        if (uuid && batch.has(uuid)) found.set(uuid, entry);
      }
  }
  return found;
}

/**
 * What a refresh of `search` from the feed's cookie would have reported had the server done it right: the changed
 * entries that match, as a delete phase (RFC 4533 §3.3.2) naming the deleted ones and those the image held that no
 * longer match.
 */
export async function refreshFromFeed(
  session: LdapSession,
  search: FilteredSearch,
  feed: RefreshResult,
  previous: ReadonlyMap<string, LdapEntry>,
  existing: ReadonlySet<string> | undefined,
): Promise<RefreshResult> {
  const changedUuids = [...feed.changed.keys()];
  const changed = await lookUp(session, search, changedUuids);
  const deleted = new Set<string>();
  for (const uuid of feed.deleted) if (previous.has(uuid)) deleted.add(uuid);
  for (const uuid of changedUuids) if (previous.has(uuid) && !changed.has(uuid)) deleted.add(uuid);
  if (existing) for (const uuid of previous.keys()) if (!existing.has(uuid) && !changed.has(uuid)) deleted.add(uuid);
  return { changed, deleted, present: new Set(), refreshDeletes: true, deletionsMayBeMissing: false, cookie: feed.cookie, references: feed.references };
}
