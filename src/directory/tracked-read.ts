/**
 * Reading the directory with RFC 4533 content synchronization (refreshOnly), so that the next run can read only
 * what changed. Scope depends on group membership, nested groups, the selection and the filters, so a changed
 * entry alone does not say who enters or leaves it: Roster keeps an image of every entry the user and group
 * searches return (their requested attributes, by syncUUID), applies each run's changes to it, and computes the
 * snapshot from the whole image with the same code as a full read (read.ts, resolve.ts). The result is therefore
 * the one a full read would give, as long as the server reports its changes; the periodic full run
 * (options.fullSyncEvery) and the equivalence test check that.
 */
import type { DirectorySettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { openBoundSession } from '../ldap/connect.js';
import {
  CONTENT_SYNC_ROOT_DSE_ATTRIBUTES,
  FIRST_CHANGE_ATTRIBUTE,
  assertHistoryHolds,
  contentSyncDialect,
  refreshOnly,
  type ContentSyncDialect,
  type RefreshResult,
} from '../ldap/content-sync.js';
import { LdapEntry } from '../ldap/entry.js';
import { readAllValues } from '../ldap/range.js';
import { detectBaseDn } from '../ldap/rootdse.js';
import type { LdapSession } from '../ldap/session.js';
import { trace } from '../trace.js';
import { USN_ROOT_DSE_ATTRIBUTES, domainControllerState, usnRefreshes, type DomainControllerState } from './usn-tracking.js';
import { BINARY_ATTRIBUTES } from './attributes.js';
import { FEED_SEARCH, refreshFromFeed } from './change-feed.js';
import { decodeImageAttributes, encodeImageAttributes, type ImageChanges, type ImageEntryRow, type TrackingState } from './image.js';
import { imageDelta, type ImageDelta } from './image-delta.js';
import { dnKey } from '../rfc/dn.js';
import {
  canonicalFilter,
  groupAttributes,
  groupFromEntry,
  newReadContext,
  readUser,
  sampleUserAttributes,
  userAttributes,
  type ReadContext,
  type WorthRequesting,
} from './read.js';
import { resolveMembership, type RawGroup, type ReadUser } from './resolve.js';
import type { DirectorySnapshot, DirectoryUser, ReadProgress } from '../snapshot.js';

export interface ContinueFrom {
  readonly state: TrackingState;
  loadImage(kind: 'user' | 'group'): Promise<readonly ImageEntryRow[]>;
  /**
   * Given when the caller can plan only the affected entries (image-delta.ts): the stored user entries with these
   * syncUUIDs or normalized DNs, and every stored user entry's syncUUID (for a present phase).
   */
  readonly partial?: {
    loadUsers(keys: { uuids: readonly string[]; dnKeys: readonly string[] }): Promise<readonly ImageEntryRow[]>;
    loadUserUuids(): Promise<readonly string[]>;
    /** Normalized member values that designated no entry at the last run. */
    readonly unresolvedMemberKeys: ReadonlySet<string>;
  };
}

/** Which way an incremental read computed its snapshot, and why not the cheaper one. */
export type ImagePath = { readonly path: 'delta' } | { readonly path: 'whole-image'; readonly reason: string };

export type TrackedRead =
  | { readonly supported: false }
  /** Nothing changed since the cookie (and the caller asked to skip the image then): only the new state. */
  | { readonly supported: true; readonly unchanged: true; readonly state: TrackingState }
  | {
      readonly supported: true;
      readonly unchanged: false;
      readonly snapshot: DirectorySnapshot;
      readonly changes: ImageChanges;
      readonly state: TrackingState;
      /** Entries the refresh reported changed or deleted (0 and 0 on a run where nothing changed). */
      readonly counts: { readonly changed: number; readonly deleted: number };
      /** Incremental reads: how the snapshot was computed. */
      readonly imagePath?: ImagePath;
      /**
       * With `imagePath.path === 'delta'`: the snapshot holds only the affected entries (its users and
       * outsideSelection) and its groups' counts only their part; sync/delta-run.ts completes it.
       */
      readonly delta?: ImageDelta;
    };

type TrackingMethod = { readonly kind: 'content-sync'; readonly dialect: ContentSyncDialect } | { readonly kind: 'usn'; readonly dc: DomainControllerState };

/**
 * RFC 4533 when the root DSE lists the Sync Request control (RFC 4533 §2.2; RFC 4512 §5.1 supportedControl);
 * otherwise AD's uSNChanged (usn-tracking.ts) on an AD DC; otherwise none.
 */
async function trackingMethod(session: LdapSession): Promise<TrackingMethod | undefined> {
  const rootDse = await session.readEntry('', [...CONTENT_SYNC_ROOT_DSE_ATTRIBUTES, ...USN_ROOT_DSE_ATTRIBUTES], 'read of the root DSE');
  const dialect = contentSyncDialect(rootDse);
  if (dialect) return { kind: 'content-sync', dialect };
  const dc = await domainControllerState(session, rootDse);
  return dc && { kind: 'usn', dc };
}

/** An image (syncUUID → entry) after a refresh: RFC 4533 §3.3.2's two ways of telling what is gone. */
export function applyRefresh(previous: ReadonlyMap<string, LdapEntry>, refresh: RefreshResult): { image: Map<string, LdapEntry>; deleted: string[] } {
  const image = new Map<string, LdapEntry>();
  const deleted: string[] = [];
  for (const [uuid, entry] of previous) {
    const kept = refresh.refreshDeletes ? !refresh.deleted.has(uuid) : refresh.present.has(uuid) || refresh.changed.has(uuid);
    if (kept) image.set(uuid, entry);
    else deleted.push(uuid);
  }
  for (const [uuid, entry] of refresh.changed) image.set(uuid, entry);
  if (!refresh.refreshDeletes) {
    assertPresentPhaseNamed(refresh, deleted.length);
    // A present entry Roster never had means its image and the server disagree: it cannot be continued.
    for (const uuid of refresh.present)
      if (!previous.has(uuid) && !refresh.changed.has(uuid))
        throw new RosterError('SYNC_COOKIE_REFUSED', `The server reported entry ${uuid} present, which the stored directory image does not hold (${previous.size} held).`);
  }
  return { image, deleted };
}

/**
 * A present phase that names no entry while unchanged ones are held says that all of them are gone. That is what a
 * server which ends a delete phase with refreshDeletes FALSE (389-DS, see ContentSyncDialect) seems to say; an
 * unknown one of those would empty the image. A full run tells the truth either way.
 */
function assertPresentPhaseNamed(refresh: RefreshResult, unchangedGone: number): void {
  if (refresh.present.size === 0 && unchangedGone > 0)
    throw new RosterError(
      'SYNC_COOKIE_REFUSED',
      `The server ended the refresh with a present phase that named none of the ${unchangedGone} unchanged entries held; a full run reads them again.`,
    );
}

async function loadEntries(from: ContinueFrom | undefined, kind: 'user' | 'group'): Promise<Map<string, LdapEntry>> {
  return from ? entriesOf(await from.loadImage(kind)) : new Map();
}

function rowsOf(entries: Iterable<[string, LdapEntry]>): ImageEntryRow[] {
  const rows: ImageEntryRow[] = [];
  for (const [uuid, entry] of entries) rows.push({ uuid, dn: entry.dn, dnKey: dnKey(entry.dn), attributes: encodeImageAttributes(entry.raw) });
  return rows;
}

function entriesOf(rows: readonly ImageEntryRow[]): Map<string, LdapEntry> {
  const entries = new Map<string, LdapEntry>();
  for (const row of rows) entries.set(row.uuid, new LdapEntry(row.dn, decodeImageAttributes(row.attributes)));
  return entries;
}

/** The user entries gone since the cookie: a delete phase names them; after a present phase, the image minus the present and changed. */
async function deletedUsers(refresh: RefreshResult, partial: NonNullable<ContinueFrom['partial']>): Promise<Set<string>> {
  if (refresh.refreshDeletes) return new Set(refresh.deleted);
  const held = await partial.loadUserUuids();
  const deleted = new Set<string>();
  let heldPresent = 0;
  for (const uuid of held) {
    if (refresh.changed.has(uuid)) continue;
    if (refresh.present.has(uuid)) heldPresent++;
    else deleted.add(uuid);
  }
  assertPresentPhaseNamed(refresh, deleted.size);
  let presentUnchanged = refresh.present.size;
  for (const uuid of refresh.changed.keys()) if (refresh.present.has(uuid)) presentUnchanged--;
  // As applyRefresh: a present entry Roster never had means its image and the server disagree. Counted, not
  // looked up: every present entry held was counted once above.
  if (heldPresent !== presentUnchanged)
    throw new RosterError(
      'SYNC_COOKIE_REFUSED',
      `The server reported ${presentUnchanged - heldPresent} entries present that the stored directory image does not hold (${held.length} held).`,
    );
  return deleted;
}

interface SearchOutcome {
  image: Map<string, LdapEntry>;
  changedRows: ImageEntryRow[];
  deleted: string[];
}

interface Refresh {
  result: RefreshResult;
  /** The cookie to store: the server's new one, or the one sent when the server sent none. */
  cookie: Buffer;
  sent: Buffer | undefined;
}

interface RefreshSpec {
  base: string;
  filter: string;
  attributes: string[];
  purpose: string;
}

async function refreshSearch(session: LdapSession, spec: RefreshSpec, cookie: Buffer | undefined, dialect?: ContentSyncDialect): Promise<Refresh> {
  const request = { base: spec.base, filter: spec.filter, attributes: [...new Set(spec.attributes)], purpose: spec.purpose, binaryAttributes: BINARY_ATTRIBUTES };
  const result = await refreshOnly(session, request, cookie, dialect);
  // RFC 4533 §2.4: the cookie is optional; without one the client's cookie stays valid (slapd sends none when
  // nothing changed). A first refresh without one leaves nothing to continue from.
  const next = result.cookie ?? cookie;
  if (!next) throw new RosterError('LDAP_OPERATION_FAILED', `The ${spec.purpose} returned no change-tracking cookie; the next run could not continue from it.`);
  return { result, cookie: next, sent: cookie };
}

/** A delete-phase refresh that reported nothing: the entries are exactly those of the last run. */
function nothingChanged(refresh: Refresh | undefined): boolean {
  return !refresh || (refresh.result.changed.size === 0 && refresh.result.deleted.size === 0 && refresh.result.refreshDeletes);
}

function outcomeOf(refresh: Refresh, previous: Map<string, LdapEntry>): SearchOutcome {
  const { image, deleted } = refresh.sent ? applyRefresh(previous, refresh.result) : { image: refresh.result.changed, deleted: [] };
  return { image, changedRows: rowsOf(refresh.result.changed), deleted };
}

interface Changes {
  readonly users: Refresh;
  readonly groups: Refresh | undefined;
  /** The change feed (servers whose refreshes do not report changed entries, see change-feed.ts). */
  readonly feed?: Refresh;
  /** Images the method already loaded. */
  readonly previous?: { readonly users: Map<string, LdapEntry>; readonly groups: Map<string, LdapEntry> };
}

function searchSpecs(context: ReadContext, worth: WorthRequesting, what: string) {
  const { settings, baseDn } = context;
  return {
    users: { base: baseDn, filter: canonicalFilter(settings.users.filter), attributes: userAttributes(context, worth), purpose: `${what} of users under ${baseDn}` },
    groups: settings.groups.filter
      ? { base: baseDn, filter: canonicalFilter(settings.groups.filter), attributes: groupAttributes(context), purpose: `${what} of groups under ${baseDn}` }
      : undefined,
  };
}

const cookieOf = (value: string | undefined) => (value ? Buffer.from(value, 'base64') : undefined);

async function contentSyncChanges(context: ReadContext, worth: WorthRequesting, dialect: ContentSyncDialect, from: ContinueFrom | undefined): Promise<Changes> {
  const specs = searchSpecs(context, worth, 'content synchronization');
  if (!dialect.reportsChangedEntries) return feedChanges(context, specs, dialect, from);
  const users = await refreshSearch(context.session, specs.users, cookieOf(from?.state.userCookie), dialect);
  const groups = specs.groups && (await refreshSearch(context.session, specs.groups, cookieOf(from?.state.groupCookie), dialect));
  // One unpaged search each: what the report counts as pages.
  context.statistics.pages = groups ? 2 : 1;
  return { users, groups };
}

/**
 * The change feed (change-feed.ts). A full read takes the feed's first cookie and the entries from refreshes
 * without a cookie (389 sends those as an ordinary search would; their cookies are kept but not continued from).
 * An incremental one continues the feed only, then reads the changed entries; a stored state without the feed's
 * cookie (taken before Roster knew) cannot be continued.
 */
async function feedChanges(
  context: ReadContext,
  specs: { users: RefreshSpec; groups: RefreshSpec | undefined },
  dialect: ContentSyncDialect,
  from: ContinueFrom | undefined,
): Promise<Changes> {
  const { session, baseDn } = context;
  if (from && !from.state.changeCookie) throw new RosterError('SYNC_COOKIE_REFUSED', 'The stored change-tracking state has no change-feed cookie (389-DS); a full run takes one.');
  const feedSpec = { ...FEED_SEARCH, attributes: [...FEED_SEARCH.attributes], base: baseDn, purpose: `content synchronization of all entries under ${baseDn}` };
  const feed = await refreshSearch(session, feedSpec, cookieOf(from?.state.changeCookie), dialect);
  context.statistics.pages = (specs.groups ? 2 : 1) + 1;
  if (!from) {
    const users = await refreshSearch(session, specs.users, undefined, dialect);
    const groups = specs.groups && (await refreshSearch(session, specs.groups, undefined, dialect));
    return { users, groups, feed };
  }
  if (dialect.checkHistory) assertHistoryHolds(dialect, [feed.sent], await session.readEntry('', [FIRST_CHANGE_ATTRIBUTE], 'read of the root DSE'));
  const kept = (result: RefreshResult, cookie: string | undefined): Refresh => ({ result, cookie: cookieOf(cookie) ?? feed.cookie, sent: feed.sent });
  // Nothing changed: the feed's own (empty) result stands for both searches, and no image is loaded for it.
  if (nothingChanged(feed) && !feed.result.deletionsMayBeMissing)
    return { users: kept(feed.result, from.state.userCookie), groups: specs.groups && kept(feed.result, from.state.groupCookie), feed };
  const previous = { users: await loadEntries(from, 'user'), groups: await loadEntries(from, 'group') };
  // Every entry under the base, listed again when the feed may have lost deletions (change-feed.ts).
  const existing = feed.result.deletionsMayBeMissing ? new Set((await refreshSearch(session, feedSpec, undefined, dialect)).result.changed.keys()) : undefined;
  const pageSize = context.settings.connection.pageSize;
  const users = kept(await refreshFromFeed(session, { ...specs.users, pageSize }, feed.result, previous.users, existing), from.state.userCookie);
  const groups = specs.groups && kept(await refreshFromFeed(session, { ...specs.groups, pageSize }, feed.result, previous.groups, existing), from.state.groupCookie);
  return { users, groups, feed, previous };
}

async function usnChanges(context: ReadContext, worth: WorthRequesting, dc: DomainControllerState, from: ContinueFrom | undefined): Promise<Changes> {
  const specs = searchSpecs(context, worth, 'search');
  const previous = from && {
    userCookie: Buffer.from(from.state.userCookie, 'base64'),
    groupCookie: from.state.groupCookie === undefined ? undefined : Buffer.from(from.state.groupCookie, 'base64'),
    load: (kind: 'user' | 'group') => loadEntries(from, kind),
  };
  const searches = { ...specs, membersAttribute: context.settings.groups.members, pageSize: context.settings.connection.pageSize };
  const changes = await usnRefreshes(context.session, dc, searches, previous);
  context.statistics.pages = changes.pages;
  return changes;
}

/**
 * A read through content synchronization: from `continueFrom` (incremental) or from nothing (full, which also
 * takes the first cookie). On Active Directory the same through uSNChanged (usn-tracking.ts). `{ supported: false }`
 * when the server offers neither.
 */
export async function readDirectoryTracked(
  settings: DirectorySettings,
  options: { continueFrom?: ContinueFrom; skipIfUnchanged?: boolean; onProgress?: (progress: ReadProgress) => void },
): Promise<TrackedRead> {
  const started = performance.now();
  const session = await openBoundSession(settings.connection);
  try {
    // Read before any search: the USN method stores the DC's highestCommittedUSN of this moment.
    const method = await trackingMethod(session);
    if (!method) return { supported: false };
    const from = options.continueFrom;
    const baseDn = settings.connection.baseDn || from?.state.baseDn || (await detectBaseDn(session));
    const context = await newReadContext(settings, session, baseDn, options);
    const worth: WorthRequesting = from?.state.worth ?? (await sampleUserAttributes(context));
    trace('connected and bound');
    const {
      users: userRefresh,
      groups: groupRefresh,
      feed,
      previous,
    } = method.kind === 'usn' ? await usnChanges(context, worth, method.dc, from) : await contentSyncChanges(context, worth, method.dialect, from);
    trace('changes read');
    // Subtrees referred elsewhere were not read: the snapshot lists them, and the planner keeps who lives there.
    if (userRefresh.result.references.length > 0) context.references.add(userRefresh.result.references, 'users');
    if (groupRefresh && groupRefresh.result.references.length > 0) context.references.add(groupRefresh.result.references, 'groups');
    const state: TrackingState = {
      baseDn,
      worth,
      userCookie: userRefresh.cookie.toString('base64'),
      ...(groupRefresh ? { groupCookie: groupRefresh.cookie.toString('base64') } : {}),
      ...(feed ? { changeCookie: feed.cookie.toString('base64') } : {}),
    };
    if (from && options.skipIfUnchanged && nothingChanged(feed ?? userRefresh) && (feed !== undefined || nothingChanged(groupRefresh)))
      return { supported: true, unchanged: true, state };
    let imagePath: ImagePath | undefined;
    // The USN method has loaded the whole image already (it needs it to find groups AD rewrote): no delta then.
    if (from?.partial && previous) imagePath = { path: 'whole-image', reason: 'the change source read the whole image' };
    else if (from?.partial) {
      const partial = await readDelta(context, worth, from, from.partial, userRefresh, groupRefresh);
      if ('delta' in partial) {
        const { snapshot, delta, changes, counts } = partial;
        snapshot.statistics.durationMs = Math.round(performance.now() - started);
        return { supported: true, unchanged: false, snapshot, changes, state, counts, imagePath: { path: 'delta' }, delta };
      }
      imagePath = { path: 'whole-image', reason: partial.fallBack };
    }
    const users = outcomeOf(userRefresh, previous?.users ?? (await loadEntries(from, 'user')));
    const groups = groupRefresh && outcomeOf(groupRefresh, previous?.groups ?? (await loadEntries(from, 'group')));
    trace('directory image updated');
    const snapshot = await snapshotOfImage(context, worth, users.image, groups?.image ?? new Map());
    snapshot.statistics.durationMs = Math.round(performance.now() - started);
    const changes: ImageChanges = from
      ? { replace: false, users: { upserts: users.changedRows, deletes: users.deleted }, groups: { upserts: groups?.changedRows ?? [], deletes: groups?.deleted ?? [] } }
      : { replace: true, users: users.changedRows, groups: groups?.changedRows ?? [] };
    const changed = from ? users.changedRows.length + (groups?.changedRows.length ?? 0) : 0;
    return {
      supported: true,
      unchanged: false,
      snapshot,
      changes,
      state,
      counts: { changed, deleted: users.deleted.length + (groups?.deleted.length ?? 0) },
      ...(imagePath ? { imagePath } : {}),
    };
  } finally {
    await session.close();
  }
}

/**
 * The incremental read of only the affected entries (image-delta.ts): the snapshot lists them alone, or the
 * reason the whole image must be computed.
 */
async function readDelta(
  context: ReadContext,
  worth: WorthRequesting,
  from: ContinueFrom,
  partial: NonNullable<ContinueFrom['partial']>,
  userRefresh: Refresh,
  groupRefresh: Refresh | undefined,
): Promise<
  | { readonly snapshot: DirectorySnapshot; readonly delta: ImageDelta; readonly changes: ImageChanges; readonly counts: { changed: number; deleted: number } }
  | { readonly fallBack: string }
> {
  const groupsBefore = groupRefresh ? await loadEntries(from, 'group') : new Map<string, LdapEntry>();
  const groups = groupRefresh ? outcomeOf(groupRefresh, groupsBefore) : undefined;
  trace('group image loaded');
  const usersDeleted = await deletedUsers(userRefresh.result, partial);
  trace('deleted users found');
  const outcome = await imageDelta(context, worth, {
    groupsBefore,
    groupsAfter: groups?.image ?? new Map(),
    usersChanged: userRefresh.result.changed,
    usersDeleted,
    hasReferences: userRefresh.result.references.length > 0 || (groupRefresh?.result.references.length ?? 0) > 0,
    loadUsers: async (keys) => entriesOf(await partial.loadUsers(keys)),
    unresolvedBefore: partial.unresolvedMemberKeys,
  });
  trace(`affected entries computed${'fallBack' in outcome ? ` (whole image: ${outcome.fallBack})` : ''}`);
  if ('fallBack' in outcome) return outcome;
  const { delta } = outcome;
  context.statistics.groupEntries = groups?.image.size ?? 0;
  const users: DirectoryUser[] = [];
  const outsideSelection: DirectorySnapshot['outsideSelection'] = [];
  for (const { after } of delta.affected) {
    if (!after) continue;
    if (after.inScope) users.push(after.user);
    else outsideSelection.push({ dnKey: after.user.dnKey, stableId: after.user.stableId, userName: after.user.userName, groupKeys: after.user.groupKeys });
  }
  const userRows = rowsOf(userRefresh.result.changed);
  const snapshot: DirectorySnapshot = {
    baseDn: context.baseDn,
    server: context.session.server,
    users,
    outsideSelection,
    groups: [...delta.groups],
    ambiguousUserNames: [],
    unreadSubtrees: [],
    warnings: [...delta.warnings],
    warningKinds: delta.warnings.length ? ['unresolved-member'] : [],
    unresolvedMemberKeys: [...delta.unresolvedMemberKeys],
    statistics: context.statistics,
  };
  const changes: ImageChanges = {
    replace: false,
    users: { upserts: userRows, deletes: [...usersDeleted] },
    groups: { upserts: groups?.changedRows ?? [], deletes: groups?.deleted ?? [] },
  };
  const counts = { changed: userRows.length + (groups?.changedRows.length ?? 0), deleted: usersDeleted.size + (groups?.deleted.length ?? 0) };
  return { snapshot, delta, changes, counts };
}

/** The snapshot a full read would give for these entries: the same conversions and member resolution. */
async function snapshotOfImage(
  context: ReadContext,
  worth: WorthRequesting,
  userImage: ReadonlyMap<string, LdapEntry>,
  groupImage: ReadonlyMap<string, LdapEntry>,
): Promise<DirectorySnapshot> {
  const users: ReadUser[] = [];
  for (const entry of userImage.values()) {
    const user = readUser(context, entry, worth);
    if (user) users.push(user);
  }
  const groups: RawGroup[] = [];
  for (const entry of groupImage.values()) groups.push(groupFromEntry(context, entry, await readAllValues(context.session, entry, context.settings.groups.members)));
  context.statistics.userEntries = userImage.size;
  context.statistics.groupEntries = groupImage.size;
  const resolved = await resolveMembership({
    users,
    groups,
    settings: context.settings,
    template: context.template,
    session: context.session,
    baseDn: context.baseDn,
    warnings: context.warnings,
    references: context.references,
  });
  trace('members resolved');
  const unreadSubtrees = context.references.list();
  context.statistics.references = unreadSubtrees.length;
  return {
    baseDn: context.baseDn,
    server: context.session.server,
    ...resolved,
    unreadSubtrees,
    warnings: context.warnings.list(),
    warningKinds: context.warnings.kinds(),
    statistics: context.statistics,
  };
}
