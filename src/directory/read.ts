/**
 * Reads the directory into a DirectorySnapshot: users and groups page by page (RFC 2696, never one unpaged
 * search), members resolved against what was read, scope computed from the group selection.
 * Any failure throws: a partial read must never reach the planner, which would take the missing users as
 * deleted.
 */
import type { DirectorySettings } from '../config/schema.js';
import { openBoundSession } from '../ldap/connect.js';
import { readAllValues } from '../ldap/range.js';
import { detectBaseDn } from '../ldap/rootdse.js';
import type { LdapEntry } from '../ldap/entry.js';
import type { LdapSession } from '../ldap/session.js';
import { dnKey, parseDn } from '../rfc/dn.js';
import { parseFilter, serializeFilter } from '../rfc/filter.js';
import { BINARY_ATTRIBUTES, STABLE_ID_ATTRIBUTES, attributesWorthRequesting, emailAddressesFrom, isDisabledEntry, stableIdOf, userNameFrom } from './attributes.js';
import { readClassHierarchy } from './class-hierarchy.js';
import { compileMemberTemplate, type MemberTemplate } from './member-filter.js';
import { profileEntry } from './member-index.js';
import { ReferenceCollector } from './references.js';
import { resolveMembership, type RawGroup, type ReadUser } from './resolve.js';
import type { DirectorySnapshot, ReadProgress, ReferenceSearch } from '../snapshot.js';
import { WarningCollector } from './warnings.js';
import { trace } from '../trace.js';

export interface ReadOptions {
  onProgress?: (progress: ReadProgress) => void;
}

export interface ReadContext {
  settings: DirectorySettings;
  session: LdapSession;
  baseDn: string;
  template: MemberTemplate | undefined;
  warnings: WarningCollector;
  references: ReferenceCollector;
  statistics: DirectorySnapshot['statistics'];
  onProgress: (progress: ReadProgress) => void;
}

/** A read's context, fresh for each read (its collectors are per read). */
export async function newReadContext(settings: DirectorySettings, session: LdapSession, baseDn: string, options: ReadOptions): Promise<ReadContext> {
  return {
    settings,
    session,
    baseDn,
    template: settings.groups.memberSearchFilter ? await memberTemplate(session, settings.groups.memberSearchFilter) : undefined,
    warnings: new WarningCollector(),
    references: new ReferenceCollector(baseDn),
    statistics: { userEntries: 0, groupEntries: 0, pages: 0, references: 0, durationMs: 0 },
    onProgress: options.onProgress ?? (() => {}),
  };
}

const ANY_OBJECT = '(objectClass=*)';
/** Every user starts with this one empty list; resolve.ts gives a user a list of its own at its first group. */
const NO_GROUPS: readonly string[] = [];

export async function readDirectory(settings: DirectorySettings, options: ReadOptions = {}): Promise<DirectorySnapshot> {
  const started = performance.now();
  const session = await openBoundSession(settings.connection);
  try {
    const baseDn = settings.connection.baseDn || (await detectBaseDn(session));
    const context = await newReadContext(settings, session, baseDn, options);
    trace('connected and bound');
    const users = await readUsers(context);
    trace('users read');
    const groups = settings.groups.filter ? await readGroups(context) : [];
    trace('groups read');
    context.onProgress({ phase: 'members', entries: groups.length });
    const resolved = await resolveMembership({ users, groups, settings, template: context.template, session, baseDn, warnings: context.warnings, references: context.references });
    trace('members resolved');
    context.statistics.durationMs = Math.round(performance.now() - started);
    const unreadSubtrees = context.references.list();
    context.statistics.references = unreadSubtrees.length;
    return {
      baseDn,
      server: session.server,
      ...resolved,
      unreadSubtrees,
      warnings: context.warnings.list(),
      warningKinds: context.warnings.kinds(),
      statistics: context.statistics,
    };
  } finally {
    await session.close();
  }
}

/** The template compiled with the server's class hierarchy, read only when the template compares objectClass. */
export async function memberTemplate(session: LdapSession, text: string): Promise<MemberTemplate> {
  const usesObjectClass = /objectclass/i.test(text);
  return compileMemberTemplate(text, usesObjectClass ? await readClassHierarchy(session) : undefined);
}

export function canonicalFilter(filter: string | undefined): string {
  return serializeFilter(parseFilter(filter ?? ANY_OBJECT));
}

/** The search's entries a page at a time (an async step per page, not per entry: there may be 100,000). */
async function* searchAll(context: ReadContext, search: ReferenceSearch, filter: string, attributes: string[], purpose: string): AsyncGenerator<LdapEntry[]> {
  const pages = context.session.searchPages({
    base: context.baseDn,
    filter,
    attributes: [...new Set(attributes)],
    binaryAttributes: BINARY_ATTRIBUTES,
    pageSize: context.settings.connection.pageSize,
    purpose,
  });
  for await (const page of pages) {
    context.statistics.pages++;
    // Each reference is a subtree not read: recorded, so that nobody who lives there is taken for gone.
    if (page.references.length > 0) context.references.add(page.references, search);
    yield page.entries;
  }
}

async function readUsers(context: ReadContext): Promise<ReadUser[]> {
  const filter = canonicalFilter(context.settings.users.filter);
  const purpose = `search of users under ${context.baseDn}`;
  const worth = await sampleUserAttributes(context);
  const attributes = userAttributes(context, worth);
  const users: ReadUser[] = [];
  for await (const page of searchAll(context, 'users', filter, attributes, purpose)) {
    for (let index = 0; index < page.length; index++) {
      const user = readUser(context, page[index]!, worth);
      if (user) users.push(user);
    }
    const before = context.statistics.userEntries;
    context.statistics.userEntries += page.length;
    if (Math.floor(before / 5000) !== Math.floor(context.statistics.userEntries / 5000)) context.onProgress({ phase: 'users', entries: context.statistics.userEntries });
  }
  context.onProgress({ phase: 'users', entries: context.statistics.userEntries });
  return users;
}

export interface WorthRequesting {
  stableId: string[];
  disabled: string[];
}

/** What the user search requests: the mapped fields, the stable id and lock attributes, the member template's. */
export function userAttributes(context: Pick<ReadContext, 'settings' | 'template'>, worth: WorthRequesting): string[] {
  const { users: settings } = context.settings;
  return [settings.userName, settings.fullName, settings.emailAddresses, ...worth.stableId, ...worth.disabled, ...(context.template?.spelled ?? [])].filter(
    (name): name is string => name !== undefined,
  );
}

/** What the group search requests. */
export function groupAttributes(context: Pick<ReadContext, 'settings' | 'template'>): string[] {
  const settings = context.settings.groups;
  return [settings.name, settings.description, settings.members, ...(context.template?.spelled ?? [])].filter((name): name is string => name !== undefined);
}

/** The sample entry that tells which stable-id and lock attributes this server has. */
export async function sampleUserAttributes(context: ReadContext): Promise<WorthRequesting> {
  const [sample] = await context.session.searchFew(
    {
      base: context.baseDn,
      filter: canonicalFilter(context.settings.users.filter),
      attributes: [...STABLE_ID_ATTRIBUTES, 'userAccountControl'],
      binaryAttributes: BINARY_ATTRIBUTES,
      purpose: `search of users under ${context.baseDn}`,
    },
    1,
  );
  return attributesWorthRequesting(sample);
}

/** One entry of the user search as a ReadUser; undefined (with a warning) when it has no user name. */
export function readUser(
  context: Pick<ReadContext, 'settings' | 'template' | 'warnings'>,
  entry: LdapEntry,
  worth: { stableId: string[]; disabled: string[] },
): ReadUser | undefined {
  const { users: settings } = context.settings;
  const key = dnKey(entry.dn);
  const userName = userNameFrom(entry.first(settings.userName), settings.localPartOnly);
  if (userName === '') {
    context.warnings.add('no-user-name', `entry ${entry.dn} has no ${settings.userName} value and was skipped`);
    return undefined;
  }
  const email = emailAddressesFrom(settings.emailAddresses ? entry.values(settings.emailAddresses) : []);
  if (email.rejected.length > 0)
    for (const rejected of email.rejected) context.warnings.add('invalid-address', `user '${userName}': "${rejected}" is not a valid e-mail address and was ignored`);
  return {
    dn: entry.dn,
    dnKey: key,
    stableId: stableIdOf(entry, key, worth.stableId),
    userName,
    fullName: (settings.fullName ? entry.first(settings.fullName) : undefined)?.trim() ?? '',
    emailAddresses: email.addresses,
    disabled: isDisabledEntry(entry, worth.disabled),
    groupKeys: NO_GROUPS,
    memberProfile: context.template ? profileEntry(context.template, entry) : undefined,
  };
}

async function readGroups(context: ReadContext): Promise<RawGroup[]> {
  const settings = context.settings.groups;
  const groups: RawGroup[] = [];
  for await (const page of searchAll(context, 'groups', canonicalFilter(settings.filter), groupAttributes(context), `search of groups under ${context.baseDn}`))
    for (const entry of page) {
      context.statistics.groupEntries++;
      groups.push(groupFromEntry(context, entry, await readAllValues(context.session, entry, settings.members)));
    }
  context.onProgress({ phase: 'groups', entries: context.statistics.groupEntries });
  return groups;
}

/** One entry of the group search, with all its members (AD's ranges already read), as a RawGroup. */
export function groupFromEntry(context: Pick<ReadContext, 'settings' | 'template'>, entry: LdapEntry, members: string[]): RawGroup {
  const settings = context.settings.groups;
  return {
    dn: entry.dn,
    dnKey: dnKey(entry.dn),
    name: entry.first(settings.name)?.trim() || firstRdnValue(entry.dn),
    description: (settings.description ? entry.first(settings.description) : undefined)?.trim() ?? '',
    members,
    memberProfile: context.template ? profileEntry(context.template, entry) : undefined,
  };
}

function firstRdnValue(dn: string): string {
  try {
    return parseDn(dn)[0]?.[0]?.value ?? dn;
  } catch {
    return dn;
  }
}
