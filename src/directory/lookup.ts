/**
 * "Which entry has this name?" for explain (issue #13): the entries whose user-name attribute, address or common
 * name equals the name or its local part, whatever the user filter says, each with whether the user filter matches
 * it. Not a read of the scope (read.ts does that): a handful of entries, looked up with a size limit.
 */
import type { DirectorySettings } from '../config/schema.js';
import { openBoundSession } from '../ldap/connect.js';
import { detectBaseDn } from '../ldap/rootdse.js';
import type { LdapSession } from '../ldap/session.js';
import { dnKey } from '../rfc/dn.js';
import { escapeFilterValue, parseFilter, serializeFilter } from '../rfc/filter.js';
import { BINARY_ATTRIBUTES, userNameFrom } from './attributes.js';

/** How an attribute value resembles the name looked up. */
export type Resemblance = 'exact' | 'case' | 'local-part';

export interface NameCandidate {
  readonly dn: string;
  readonly dnKey: string;
  /** The user name a sync would give this entry ('' when it has none). */
  readonly userName: string;
  readonly matchesUserFilter: boolean;
  /** Each attribute value that resembles the name, and how. */
  readonly resemblances: ReadonlyArray<{ attribute: string; value: string; resemblance: Resemblance }>;
}

export interface NameLookup {
  readonly candidates: NameCandidate[];
  /** More entries resembled the name than were read. */
  readonly truncated: boolean;
}

/** Entries read at most: a name shared by more is a problem the explanation reports as such. */
const MAX_CANDIDATES = 20;

function localPart(value: string): string {
  const at = value.lastIndexOf('@');
  return at > 0 ? value.slice(0, at) : value;
}

function resemblance(value: string, name: string): Resemblance | undefined {
  if (value === name) return 'exact';
  if (value.toLowerCase() === name.toLowerCase()) return 'case';
  return localPart(value).toLowerCase() === localPart(name).toLowerCase() ? 'local-part' : undefined;
}

/** The attributes compared with the name: the configured user name, addresses and full name, plus cn and mail. */
function comparedAttributes(settings: DirectorySettings): string[] {
  const { users } = settings;
  return [...new Set([users.userName, users.emailAddresses, users.fullName, 'cn', 'mail'].filter((name): name is string => Boolean(name)))];
}

/** (|(attr=name)(attr=local@*)...) with every value escaped (RFC 4515). */
function resemblingFilter(attributes: string[], name: string): string {
  const local = escapeFilterValue(localPart(name));
  const exact = escapeFilterValue(name);
  const terms = attributes.flatMap((attribute) => [`(${attribute}=${exact})`, `(${attribute}=${local})`, `(${attribute}=${local}@*)`]);
  return `(|${[...new Set(terms)].join('')})`;
}

async function matchesUserFilter(session: LdapSession, settings: DirectorySettings, dn: string): Promise<boolean> {
  const filter = serializeFilter(parseFilter(settings.users.filter ?? '(objectClass=*)'));
  const found = await session.searchFew({ base: dn, scope: 'base', filter, attributes: ['1.1'], purpose: `check of ${dn} against the user filter` }, 1);
  return found.length > 0;
}

export async function lookUpName(settings: DirectorySettings, name: string): Promise<NameLookup> {
  const session = await openBoundSession(settings.connection);
  try {
    const baseDn = settings.connection.baseDn || (await detectBaseDn(session));
    const attributes = comparedAttributes(settings);
    const entries = await session.searchFew(
      { base: baseDn, filter: resemblingFilter(attributes, name), attributes, binaryAttributes: BINARY_ATTRIBUTES, purpose: `search of entries named '${name}' under ${baseDn}` },
      MAX_CANDIDATES + 1,
    );
    const candidates: NameCandidate[] = [];
    for (const entry of entries.slice(0, MAX_CANDIDATES)) {
      const resemblances = attributes.flatMap((attribute) =>
        entry.values(attribute).flatMap((value) => {
          const kind = resemblance(value, name);
          return kind ? [{ attribute, value, resemblance: kind }] : [];
        }),
      );
      const userName = userNameFrom(entry.first(settings.users.userName), settings.users.localPartOnly);
      candidates.push({ dn: entry.dn, dnKey: dnKey(entry.dn), userName, matchesUserFilter: await matchesUserFilter(session, settings, entry.dn), resemblances });
    }
    return { candidates, truncated: entries.length > MAX_CANDIDATES };
  } finally {
    await session.close();
  }
}
