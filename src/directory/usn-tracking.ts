/**
 * Change tracking on Active Directory, which has no RFC 4533: `uSNChanged` and a listing of what is still there,
 * giving the same RefreshResult as content synchronization (a present phase, RFC 4533 §3.3.2) so that
 * tracked-read.ts applies it to the directory image with the same code.
 *
 * Why not DirSync (MS-ADTS §3.1.1.3.4.1.3): it needs "Replicating Directory Changes" on the domain (the manual's
 * AD sample binds as an ordinary user; that right would let it read every change in the domain) and reports
 * deletions as tombstones in CN=Deleted Objects, which an ordinary user cannot read: such a search comes back
 * empty, indistinguishable from "nothing deleted". Here an ordinary user suffices:
 * - the "cookie" is the domain controller's highestCommittedUSN read BEFORE the searches, with its identity
 *   (dsServiceName and its NTDS Settings' invocationId, which changes when the DC is restored from backup): USNs
 *   are per DC, so another DC's or a restored DC's cannot be continued from (SYNC_COOKIE_REFUSED → full run);
 * - changed entries: the configured (paged) search AND `(uSNChanged>=stored+1)`: changes made during a run are
 *   read again by the next one (idempotent), never missed;
 * - what is gone: a paged listing of the configured filter's objectGUIDs. An entry in the image but not listed
 *   (deleted, moved out of the base, left the filter, no longer readable) is gone, exactly as a full read would no
 *   longer see it. A failed listing fails the run (nothing deleted), like a failed full read.
 *
 * Measured on Samba AD DC 4.x (test/integration/samba-ad-incremental.test.ts): adding or removing a member moves
 * the group's uSNChanged, as do a rename, a move and a userAccountControl change of the entry itself. But a
 * rename, a move or a deletion of a MEMBER rewrites or removes its value in the group's `member` (a linked
 * attribute) WITHOUT moving the group's uSNChanged: the groups that listed such an entry are read again here
 * (staleGroups), or the image would keep the old DN.
 */
import { RosterError } from '../errors.js';
import type { LdapEntry } from '../ldap/entry.js';
import type { LdapSession } from '../ldap/session.js';
import type { RefreshResult } from '../ldap/content-sync.js';
import { dnKey } from '../rfc/dn.js';
import { escapeFilterValue } from '../rfc/filter.js';
import { trace } from '../trace.js';
import { BINARY_ATTRIBUTES } from './attributes.js';

/** LDAP_CAP_ACTIVE_DIRECTORY_OID (MS-ADTS §3.1.1.3.4.3.1): the server is an AD DC (or Samba's). */
export const AD_CAPABILITY = '1.2.840.113556.1.4.800';

/** Root DSE attributes the USN method needs (MS-ADTS §3.1.1.3.2). */
export const USN_ROOT_DSE_ATTRIBUTES = ['supportedCapabilities', 'highestCommittedUSN', 'dsServiceName'];

/** Values per `(|(objectGUID=…)…)` or `(|(member=…)…)` request, as member-search.ts batches member values. */
const VALUES_PER_SEARCH = 200;

/** Which domain controller, in which incarnation, at which point of its changes. */
export interface DomainControllerState {
  readonly usn: bigint;
  readonly dsServiceName: string;
  /** Base64 of the NTDS Settings object's invocationId. */
  readonly invocationId: string;
}

/** What a USN "cookie" holds (JSON in TrackingState's cookie fields): the DC's state and the last search's references. */
interface UsnCookie {
  readonly usn: string;
  readonly dsServiceName: string;
  readonly invocationId: string;
  /** Continuation references the searches returned: with an unmoved USN they are the same, and not searched again. */
  readonly references: readonly string[];
}

export interface UsnSearch {
  readonly base: string;
  /** The configured filter, canonical. */
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly purpose: string;
}

export interface UsnPrevious {
  /** The stored cookies; both hold the same USN and DC, each its own search's references. */
  readonly userCookie: Buffer;
  readonly groupCookie: Buffer | undefined;
  load(kind: 'user' | 'group'): Promise<Map<string, LdapEntry>>;
}

export interface UsnRefresh {
  readonly result: RefreshResult;
  readonly cookie: Buffer;
  readonly sent: Buffer | undefined;
}

export interface UsnRefreshes {
  readonly users: UsnRefresh;
  readonly groups: UsnRefresh | undefined;
  /** The images loaded to apply the changes (undefined when nothing had to be read). */
  readonly previous?: { readonly users: Map<string, LdapEntry>; readonly groups: Map<string, LdapEntry> };
  readonly pages: number;
}

/**
 * The DC's state when the root DSE says it is an AD DC with a highestCommittedUSN, and its invocationId is
 * readable (by any authenticated user on Samba and Windows); undefined otherwise (the method cannot be used).
 */
export async function domainControllerState(session: LdapSession, rootDse: LdapEntry | undefined): Promise<DomainControllerState | undefined> {
  if (!rootDse?.values('supportedCapabilities').includes(AD_CAPABILITY)) return undefined;
  const usn = rootDse.first('highestCommittedUSN');
  const dsServiceName = rootDse.first('dsServiceName');
  if (!usn || !/^\d+$/.test(usn) || !dsServiceName) return undefined;
  const settings = await session.readEntry(dsServiceName, ['invocationId'], 'read of the domain controller identity (invocationId)', ['invocationId']);
  const invocationId = settings?.buffer('invocationId');
  if (!invocationId || invocationId.length === 0) return undefined;
  return { usn: BigInt(usn), dsServiceName, invocationId: invocationId.toString('base64') };
}

function encodeCookie(dc: DomainControllerState, references: readonly string[]): Buffer {
  const cookie: UsnCookie = { usn: dc.usn.toString(), dsServiceName: dc.dsServiceName, invocationId: dc.invocationId, references };
  return Buffer.from(JSON.stringify(cookie), 'utf8');
}

function decodeCookie(bytes: Buffer): UsnCookie {
  try {
    const cookie = JSON.parse(bytes.toString('utf8')) as Partial<UsnCookie>;
    if (typeof cookie.usn === 'string' && /^\d+$/.test(cookie.usn) && typeof cookie.dsServiceName === 'string' && typeof cookie.invocationId === 'string')
      return { usn: cookie.usn, dsServiceName: cookie.dsServiceName, invocationId: cookie.invocationId, references: Array.isArray(cookie.references) ? cookie.references : [] };
  } catch {
    // falls through: a cookie of another method (content sync) or of another version
  }
  throw new RosterError('SYNC_COOKIE_REFUSED', 'The stored change-tracking state is not an Active Directory USN state; it cannot be continued from.');
}

/** The stored USN continues on this DC only: the same DC, not restored since (same invocationId), not ahead of it. */
function checkContinuable(cookie: UsnCookie, dc: DomainControllerState, server: string): void {
  const refuse = (why: string) => {
    throw new RosterError('SYNC_COOKIE_REFUSED', `The domain controller ${server} cannot continue from the stored USN ${cookie.usn}: ${why}.`);
  };
  if (dnKey(cookie.dsServiceName) !== dnKey(dc.dsServiceName)) refuse(`it is another domain controller (${dc.dsServiceName}, was ${cookie.dsServiceName})`);
  if (cookie.invocationId !== dc.invocationId) refuse('its invocationId changed (restored from a backup?)');
  if (BigInt(cookie.usn) > dc.usn) refuse(`its highestCommittedUSN ${dc.usn} is below it`);
}

/** objectGUID's 16 bytes as 32 hex digits: the image's key, as RFC 4533's syncUUID is for content sync. */
function guidKey(entry: LdapEntry): string {
  const guid = entry.buffer('objectGUID');
  if (guid?.length !== 16) throw new RosterError('LDAP_OPERATION_FAILED', `The entry ${entry.dn} came without a 16-byte objectGUID; changes cannot be tracked by it.`);
  return guid.toString('hex');
}

/** `(|(objectGUID=\xx…)…)`: every byte escaped (RFC 4515 §3 allows it for any octet). */
function guidFilter(keys: readonly string[]): string {
  const one = (key: string) => `(objectGUID=${key.replace(/../g, '\\$&')})`;
  return keys.length === 1 ? one(keys[0]!) : `(|${keys.map(one).join('')})`;
}

function memberFilter(attribute: string, dns: readonly string[]): string {
  const one = (dn: string) => `(${attribute}=${escapeFilterValue(dn)})`;
  return dns.length === 1 ? one(dns[0]!) : `(|${dns.map(one).join('')})`;
}

interface Reader {
  readonly session: LdapSession;
  readonly pageSize: number;
  pages: number;
}

/** A paged search of `search.base` with `filter`; entries by objectGUID, references into `references`. */
async function searchByGuid(
  reader: Reader,
  search: UsnSearch,
  filter: string,
  attributes: readonly string[],
  purpose: string,
  references: string[],
): Promise<Map<string, LdapEntry>> {
  const entries = new Map<string, LdapEntry>();
  const pages = reader.session.searchPages({
    base: search.base,
    filter,
    attributes: [...new Set([...attributes, 'objectGUID'])],
    binaryAttributes: BINARY_ATTRIBUTES,
    pageSize: reader.pageSize,
    purpose,
  });
  for await (const page of pages) {
    reader.pages++;
    references.push(...page.references);
    for (const entry of page.entries) entries.set(guidKey(entry), entry);
  }
  return entries;
}

/** The entries of `search` among the given objectGUIDs, in batches. */
async function readByGuid(reader: Reader, search: UsnSearch, keys: readonly string[], references: string[]): Promise<Map<string, LdapEntry>> {
  const found = new Map<string, LdapEntry>();
  for (let start = 0; start < keys.length; start += VALUES_PER_SEARCH) {
    const filter = `(&${search.filter}${guidFilter(keys.slice(start, start + VALUES_PER_SEARCH))})`;
    const batch = await searchByGuid(reader, search, filter, search.attributes, search.purpose, references);
    for (const [key, entry] of batch) found.set(key, entry);
  }
  return found;
}

interface KindChanges {
  readonly search: UsnSearch;
  readonly previous: Map<string, LdapEntry>;
  readonly changed: Map<string, LdapEntry>;
  readonly present: Set<string>;
  readonly references: string[];
}

/** Changed entries since `usn` and the present listing of one search, made consistent with each other. */
async function readKind(reader: Reader, search: UsnSearch, usn: bigint, previous: Map<string, LdapEntry>): Promise<KindChanges> {
  const references: string[] = [];
  const changed = await searchByGuid(reader, search, `(&${search.filter}(uSNChanged>=${usn + 1n}))`, search.attributes, search.purpose, references);
  trace(`changed entries read (${changed.size})`);
  const present = new Set((await searchByGuid(reader, search, search.filter, [], `listing of ${search.purpose}`, references)).keys());
  trace(`present listing read (${present.size})`);
  // Gone between the two searches: the listing is the later word.
  for (const key of changed.keys()) if (!present.has(key)) changed.delete(key);
  // Listed, but neither held nor changed: it entered the search without a change of its own (a filter on a
  // back link such as memberOf, a right granted elsewhere). Read it, rather than lose it.
  const unknown = [...present].filter((key) => !previous.has(key) && !changed.has(key));
  const entered = await readByGuid(reader, search, unknown, references);
  for (const key of unknown) {
    const entry = entered.get(key);
    if (entry) changed.set(key, entry);
    else present.delete(key);
  }
  return { search, previous, changed, present, references };
}

/** Normalized DNs an entry was known by and no longer is (gone, renamed, moved), and the new DNs of renamed or new entries. */
function movedDns(kinds: readonly KindChanges[]): { old: Set<string>; added: Map<string, string> } {
  const old = new Set<string>();
  const added = new Map<string, string>();
  for (const { previous, changed, present } of kinds) {
    for (const [key, entry] of previous) if (!present.has(key)) old.add(dnKey(entry.dn));
    for (const [key, entry] of changed) {
      const before = previous.get(key);
      const now = dnKey(entry.dn);
      if (before && dnKey(before.dn) === now) continue;
      if (before) old.add(dnKey(before.dn));
      added.set(now, entry.dn);
    }
  }
  return { old, added };
}

/**
 * The member values the image holds: the attribute, or its first range (`member;range=0-1499`, a Windows DC's big
 * group): the further ranges are read from the server with every snapshot (range.ts), so they are never stale.
 */
function heldMembers(entry: LdapEntry, attribute: string): string[] {
  const name = attribute.toLowerCase();
  const values: string[] = [];
  for (const key of Object.keys(entry.raw)) {
    const lower = key.toLowerCase();
    if (lower === name || lower.startsWith(`${name};range=`)) values.push(...entry.values(key));
  }
  return values;
}

/**
 * Groups whose member values AD rewrote without moving their uSNChanged (see the header): the held groups listing
 * a DN that left or entered the image, and the server's groups listing a new DN. Read again and counted changed.
 */
async function refreshStaleGroups(reader: Reader, groups: KindChanges, users: KindChanges, membersAttribute: string): Promise<void> {
  const { old, added } = movedDns([users, groups]);
  if (old.size === 0 && added.size === 0) return;
  const stale: string[] = [];
  for (const [key, entry] of groups.previous) {
    if (groups.changed.has(key) || !groups.present.has(key)) continue;
    if (heldMembers(entry, membersAttribute).some((value) => old.has(dnKey(value)) || added.has(dnKey(value)))) stale.push(key);
  }
  const newDns = [...added.values()];
  for (let start = 0; start < newDns.length; start += VALUES_PER_SEARCH) {
    const filter = `(&${groups.search.filter}${memberFilter(membersAttribute, newDns.slice(start, start + VALUES_PER_SEARCH))})`;
    for (const [key, entry] of await searchByGuid(reader, groups.search, filter, groups.search.attributes, groups.search.purpose, groups.references))
      if (groups.present.has(key) && !groups.changed.has(key)) groups.changed.set(key, entry);
  }
  const reread = await readByGuid(
    reader,
    groups.search,
    stale.filter((key) => !groups.changed.has(key)),
    groups.references,
  );
  for (const [key, entry] of reread) groups.changed.set(key, entry);
}

/**
 * One search's RefreshResult: a present phase; or, when nothing changed and the listing is exactly the image
 * (the present entries are all held, see readKind, so equal counts mean equal sets), an empty delete phase, which
 * tracked-read.ts takes for "unchanged" (the no-change fast path).
 */
function refreshOf(
  kind: Pick<KindChanges, 'changed' | 'present' | 'references'> & { previous?: Map<string, LdapEntry> },
  dc: DomainControllerState,
  sent: Buffer | undefined,
): UsnRefresh {
  const references = [...new Set(kind.references)];
  const cookie = encodeCookie(dc, references);
  const unchanged = kind.previous !== undefined && kind.changed.size === 0 && kind.present.size === kind.previous.size;
  const present = unchanged ? new Set<string>() : kind.present;
  return { result: { changed: kind.changed, deleted: new Set(), present, refreshDeletes: unchanged, cookie, references }, cookie, sent };
}

/** Nothing was written on the DC since the stored USN: an empty delete phase, the stored references still true. */
function unmoved(dc: DomainControllerState, sent: Buffer): UsnRefresh {
  const { references } = decodeCookie(sent);
  const cookie = encodeCookie(dc, references);
  return { result: { changed: new Map(), deleted: new Set(), present: new Set(), refreshDeletes: true, cookie, references: [...references] }, cookie, sent };
}

/**
 * The user and group searches' changes since `from` (everything when there is none), as RefreshResults in a
 * present phase; with an unmoved highestCommittedUSN nothing at all was written on the DC, so nothing is searched
 * (an empty delete phase). SYNC_COOKIE_REFUSED when `from` cannot be continued on this DC.
 */
export async function usnRefreshes(
  session: LdapSession,
  dc: DomainControllerState,
  searches: { readonly users: UsnSearch; readonly groups: UsnSearch | undefined; readonly membersAttribute: string; readonly pageSize: number },
  from: UsnPrevious | undefined,
): Promise<UsnRefreshes> {
  const reader: Reader = { session, pageSize: searches.pageSize, pages: 0 };
  if (!from) {
    const first = async (search: UsnSearch): Promise<UsnRefresh> => {
      const references: string[] = [];
      const changed = await searchByGuid(reader, search, search.filter, search.attributes, search.purpose, references);
      return refreshOf({ changed, present: new Set(changed.keys()), references }, dc, undefined);
    };
    const users = await first(searches.users);
    return { users, groups: searches.groups && (await first(searches.groups)), pages: reader.pages };
  }
  const stored = decodeCookie(from.userCookie);
  checkContinuable(stored, dc, session.server);
  const groupCookie = from.groupCookie ?? from.userCookie;
  if (searches.groups) checkContinuable(decodeCookie(groupCookie), dc, session.server);
  if (BigInt(stored.usn) === dc.usn) return { users: unmoved(dc, from.userCookie), groups: searches.groups && unmoved(dc, groupCookie), pages: 0 };
  const usn = BigInt(stored.usn);
  const previous = { users: await from.load('user'), groups: searches.groups ? await from.load('group') : new Map<string, LdapEntry>() };
  trace('directory image loaded');
  const users = await readKind(reader, searches.users, usn, previous.users);
  const groups = searches.groups && (await readKind(reader, searches.groups, usn, previous.groups));
  if (groups) await refreshStaleGroups(reader, groups, users, searches.membersAttribute);
  trace('groups with rewritten members read again');
  return { users: refreshOf(users, dc, from.userCookie), groups: groups && refreshOf(groups, dc, groupCookie), previous, pages: reader.pages };
}
