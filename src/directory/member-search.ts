/**
 * The server's half of member resolution: branches `(&(condition)(attribute={member}))` whose condition only the
 * server can evaluate exactly (an extensible match such as AD's bit-and rule 1.2.840.113556.1.4.803, >=, <=,
 * substrings, attributes of unknown rules). Many member values go in one request,
 * `(&(condition)(|(attribute=v1)(attribute=v2)...))`, never one round trip per member; each entry returned is
 * mapped back to the member values its `attribute` values equal under that attribute's matching rule, which is
 * exactly the comparison the server made.
 */
import type { TemplateBranch } from '../config/member-template.js';
import type { LdapSession } from '../ldap/session.js';
import { dnKey } from '../rfc/dn.js';
import { serializeFilter, type FilterNode } from '../rfc/filter.js';
import { BINARY_ATTRIBUTES } from './attributes.js';
import { memberKey } from './member-filter.js';
import type { ReferenceCollector } from './references.js';

/**
 * Member values per request. slapd and AD evaluate an OR of equalities on an indexed attribute as one index lookup
 * each; 200 values keep a request near 6 KB, well under AD's default MaxReceiveBuffer of 10 MB and slapd's limits.
 */
export const MEMBER_VALUES_PER_SEARCH = 200;
/** Requests in flight at once: enough to keep the server busy without taking all its threads. */
const IN_FLIGHT = 4;

export interface MemberSearchInput {
  session: LdapSession;
  baseDn: string;
  pageSize: number;
  references: ReferenceCollector;
}

/** The filter for a batch of member values of one branch (values escaped by serializeFilter, RFC 4515). */
export function batchFilter(branch: TemplateBranch, values: readonly string[]): string {
  const equalities: FilterNode[] = values.map((value) => ({ type: 'equal', attribute: branch.spelled, value }));
  const members: FilterNode = equalities.length === 1 ? equalities[0]! : { type: 'or', children: equalities };
  return serializeFilter(branch.condition ? { type: 'and', children: [branch.condition, members] } : members);
}

/**
 * Targets (entries read, by normalized DN) by member key (memberKey of the branch's rule), for every branch and the
 * given member values. Entries the server returns that were not read (outside the user and group filters) do not
 * count, as for members resolved in memory.
 */
export async function searchMembers<T>(
  input: MemberSearchInput,
  branches: readonly TemplateBranch[],
  members: readonly string[],
  targetOf: (dnKey: string) => T | undefined,
): Promise<Map<string, T[]>> {
  const found = new Map<string, T[]>();
  const jobs: Array<{ branch: TemplateBranch; values: string[] }> = [];
  for (const branch of branches) {
    // Values the rule cannot match (a non-integer for uidNumber) select nothing on the server either.
    const distinct = new Map<string, string>();
    for (const member of members) {
      const key = memberKey(branch.rule, member);
      if (key !== undefined && !distinct.has(key)) distinct.set(key, member);
    }
    const values = [...distinct.values()];
    for (let start = 0; start < values.length; start += MEMBER_VALUES_PER_SEARCH) jobs.push({ branch, values: values.slice(start, start + MEMBER_VALUES_PER_SEARCH) });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) await searchBatch(input, job.branch, job.values, targetOf, found);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, jobs.length) }, worker));
  return found;
}

async function searchBatch<T>(
  input: MemberSearchInput,
  branch: TemplateBranch,
  values: readonly string[],
  targetOf: (dnKey: string) => T | undefined,
  found: Map<string, T[]>,
): Promise<void> {
  const wanted = new Set(values.map((value) => memberKey(branch.rule, value)!));
  const pages = input.session.searchPages({
    base: input.baseDn,
    filter: batchFilter(branch, values),
    attributes: [branch.spelled],
    binaryAttributes: BINARY_ATTRIBUTES,
    pageSize: input.pageSize,
    purpose: `member search (${branch.spelled}, ${values.length} values) under ${input.baseDn}`,
  });
  for await (const page of pages) {
    if (page.references.length > 0) input.references.add(page.references, 'members');
    for (const entry of page.entries) {
      const target = targetOf(dnKey(entry.dn));
      if (target === undefined) continue;
      for (const value of entry.values(branch.spelled)) {
        const key = memberKey(branch.rule, value);
        if (key === undefined || !wanted.has(key)) continue;
        const list = found.get(key);
        if (!list) found.set(key, [target]);
        else if (!list.includes(target)) list.push(target);
      }
    }
  }
}
