/**
 * AD's ranged attribute retrieval (MS-ADTS §3.1.1.3.1.3.3): a group with more than MaxValRange (1500) members
 * returns `member;range=0-1499` instead of `member`; the rest is fetched with `member;range=1500-*` and so on,
 * until the server answers with a range ending in `*`.
 */
import { RosterError } from '../errors.js';
import type { LdapEntry } from './entry.js';
import type { LdapSession } from './session.js';

const RANGE = /^(.+);range=(\d+)-(\d+|\*)$/i;

export interface RangedChunk {
  values: string[];
  /** Where the next chunk starts; undefined when this chunk was the last (or the attribute was not ranged). */
  nextStart: number | undefined;
}

/** The values of `attribute` in an entry, plain or ranged. */
export function rangedChunk(entry: LdapEntry, attribute: string): RangedChunk {
  const wanted = attribute.toLowerCase();
  for (const name of entry.names()) {
    const match = RANGE.exec(name);
    if (match && match[1] === wanted) {
      return { values: entry.values(name), nextStart: match[3] === '*' ? undefined : Number(match[3]) + 1 };
    }
  }
  return { values: entry.values(attribute), nextStart: undefined };
}

/** All values of a (possibly ranged) attribute of the entry, fetching the remaining ranges from the server. */
export async function readAllValues(session: LdapSession, entry: LdapEntry, attribute: string): Promise<string[]> {
  let chunk = rangedChunk(entry, attribute);
  const values = [...chunk.values];
  while (chunk.nextStart !== undefined) {
    const start = chunk.nextStart;
    const next = await session.readEntry(entry.dn, [`${attribute};range=${start}-*`], `ranged read of ${attribute} of ${entry.dn}`);
    if (!next) throw new RosterError('LDAP_OPERATION_FAILED', `The group ${entry.dn} disappeared while its members were being read (range ${start}-*).`);
    chunk = rangedChunk(next, attribute);
    if (chunk.values.length === 0 && chunk.nextStart !== undefined) {
      throw new RosterError('LDAP_OPERATION_FAILED', `The server returned an empty range of ${attribute} for ${entry.dn}; the member list would be incomplete.`);
    }
    values.push(...chunk.values);
  }
  return values;
}
