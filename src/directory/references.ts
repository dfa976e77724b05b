/**
 * Search continuation references (RFC 4511 §4.5.3): the server says "this subtree is held elsewhere". Roster does
 * not follow them (another server, other credentials), so each one names a subtree that was NOT read. They are
 * collected here with the subtree parsed out of their LDAP URL (RFC 4516), so the planner can keep the users who
 * live there and the report can list them. Nothing is inferred about entries Roster could not see.
 */
import { dnKey, parseDn } from '../rfc/dn.js';
import type { ReferenceSearch, UnreadSubtree } from '../snapshot.js';

/**
 * The DN of an LDAP URL: `ldap[s|i]://hostport/dn?attributes?scope?filter?extensions` (RFC 4516 §2), percent-decoded.
 * Undefined when the URL has no DN part, an empty one, or one that is not a valid DN.
 */
export function referenceDn(url: string): string | undefined {
  const match = /^ldap[si]?:\/\/[^/?]*\/([^?]*)/i.exec(url.trim());
  if (!match || match[1] === '') return undefined;
  let dn: string;
  try {
    dn = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  try {
    parseDn(dn);
  } catch {
    return undefined;
  }
  return dn.trim() === '' ? undefined : dn;
}

/**
 * Active Directory answers a subtree search at a domain root with references to its application and configuration
 * partitions (DC=DomainDnsZones, DC=ForestDnsZones, CN=Configuration directly under the domain): they hold DNS
 * records and forest configuration, never the domain's users or groups.
 */
const AD_PARTITION_RDNS = new Set(['dc=domaindnszones', 'dc=forestdnszones', 'cn=configuration']);

export function isAdPartition(subtreeKey: string, baseKey: string): boolean {
  const comma = subtreeKey.indexOf(',');
  if (comma < 0 || !AD_PARTITION_RDNS.has(subtreeKey.slice(0, comma))) return false;
  // Under the base DN or one of its ancestors (the forest root's partitions seen from a child domain).
  const parent = subtreeKey.slice(comma + 1);
  return baseKey === parent || baseKey.endsWith(',' + parent);
}

/** Whether `key` (a normalized DN) is `subtreeKey` or lies below it. */
export function isWithin(key: string, subtreeKey: string): boolean {
  return subtreeKey === '' || key === subtreeKey || key.endsWith(',' + subtreeKey);
}

/**
 * The references met by the searches of one read, one per distinct URL and search. A reference whose URL names no
 * usable subtree stands for the whole base DN: Roster cannot tell what it did not read, so it assumes the worst.
 */
export class ReferenceCollector {
  private readonly seen = new Set<string>();
  private readonly subtrees: UnreadSubtree[] = [];

  constructor(private readonly baseDn: string) {}

  add(urls: readonly string[], search: ReferenceSearch): void {
    for (let index = 0; index < urls.length; index++) {
      const url = urls[index]!;
      const id = `${search}\u0000${url}`;
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      const dn = referenceDn(url);
      const subtree = dn ?? this.baseDn;
      const subtreeKey = dnKey(subtree);
      this.subtrees.push({ url, subtree, subtreeKey, search, subtreeKnown: dn !== undefined, adPartition: isAdPartition(subtreeKey, dnKey(this.baseDn)) });
    }
  }

  list(): UnreadSubtree[] {
    return this.subtrees.slice();
  }
}
