/**
 * The "Search Filter for Members" ({member} template) as Roster can honour it with the server's semantics.
 *
 * Roster evaluates a filter in memory only where its result is exactly the server's: equality and presence on
 * attributes whose equality matching rule is known (the table below, from the standard schemas: RFC 4519, RFC 2798,
 * RFC 2307, and AD's MS-ADA attributes, which compare strings case-insensitively), objectClass (with the server's
 * class hierarchy, directory/class-hierarchy.ts), and &, |, ! of those. Anything else (extensible matches such as
 * AD's bit-and rule, >=, <=, ~=, substrings, other attributes) is the server's to evaluate.
 *
 * A template is accepted when either
 * - it is an OR of branches `(&(condition)(attribute={member}))` (or just `(attribute={member})`) whose member
 *   attribute has a known rule: a branch whose condition is exact runs in memory, any other is sent to the server
 *   with many member values per request, and the entries it returns are mapped back to member values by comparing
 *   their `attribute` values with the known rule (exactly what the server compared); or
 * - the whole filter is exact in memory.
 * Anything else cannot be answered exactly without one search per member, and is refused when the settings are
 * validated.
 */
import { DnSyntaxError, normalizeDn } from '../rfc/dn.js';
import { parseFilter, type FilterNode } from '../rfc/filter.js';

export const MEMBER_PLACEHOLDER = '{member}';
/** Stands for {member} in the parsed tree: a string no administrator writes (the filter parser needs a value). */
export const MEMBER_SENTINEL = 'rosterMemberPlaceholder7f3a';

/** Equality matching rules Roster implements exactly (RFC 4517 §4.2, RFC 4518 string preparation). */
export type EqualityRule = 'caseIgnore' | 'caseExact' | 'integer' | 'distinguishedName';

const RULES: Readonly<Record<string, EqualityRule>> = {
  // RFC 4519 / RFC 2798 / RFC 2307 / RFC 4524: caseIgnoreMatch or caseIgnoreIA5Match.
  uid: 'caseIgnore',
  userid: 'caseIgnore',
  cn: 'caseIgnore',
  commonname: 'caseIgnore',
  sn: 'caseIgnore',
  givenname: 'caseIgnore',
  displayname: 'caseIgnore',
  mail: 'caseIgnore',
  rfc822mailbox: 'caseIgnore',
  ou: 'caseIgnore',
  o: 'caseIgnore',
  dc: 'caseIgnore',
  employeenumber: 'caseIgnore',
  // Active Directory (MS-ADA1..3): Unicode string syntax, compared case-insensitively.
  samaccountname: 'caseIgnore',
  userprincipalname: 'caseIgnore',
  employeeid: 'caseIgnore',
  // RFC 2307: caseExactIA5Match, integerMatch.
  memberuid: 'caseExact',
  homedirectory: 'caseExact',
  uidnumber: 'integer',
  gidnumber: 'integer',
  // distinguishedNameMatch (RFC 4517 §4.2.15): AD's distinguishedName and OpenLDAP's entryDN (RFC 5020) hold the
  // entry's own DN, which is how a template names members given as DNs.
  distinguishedname: 'distinguishedName',
  entrydn: 'distinguishedName',
};

export function equalityRuleOf(attribute: string): EqualityRule | undefined {
  return Object.hasOwn(RULES, attribute.toLowerCase()) ? RULES[attribute.toLowerCase()] : undefined;
}

const INSIGNIFICANT_SPACE = /^ | $| {2}/;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The form two values of `rule` compare equal in: RFC 4518 insignificant space handling (leading and trailing
 * spaces dropped, inner runs as one), case folded for caseIgnore; integers in canonical form. Undefined when the
 * value is not one the rule can match (a non-integer for integerMatch: the server's answer is Undefined, RFC 4511
 * §4.5.1.7, which selects nothing). Lower-casing is what the fast path costs, so spaces are fixed only when present.
 */
export function normalizeValue(rule: EqualityRule, value: string): string | undefined {
  if (rule === 'distinguishedName') {
    try {
      return normalizeDn(value);
    } catch (error) {
      if (error instanceof DnSyntaxError) return undefined;
      throw error;
    }
  }
  if (rule === 'integer') {
    const trimmed = value.trim();
    if (!INTEGER.test(trimmed)) return undefined;
    return trimmed === '-0' ? '0' : trimmed;
  }
  const cased = rule === 'caseIgnore' ? value.toLowerCase() : value;
  return INSIGNIFICANT_SPACE.test(cased) ? cased.trim().replace(/ {2,}/g, ' ') : cased;
}

/** A branch `condition AND attribute={member}` of a template (condition absent: just the equality). */
export interface TemplateBranch {
  condition: FilterNode | undefined;
  /** Lower-cased. */
  attribute: string;
  /** As the template spells it (what to request and look up). */
  spelled: string;
  rule: EqualityRule;
}

export interface TemplateAnalysis {
  /** The filter with {member} replaced by MEMBER_SENTINEL. */
  tree: FilterNode;
  /** Set when the template is an OR of branches (see the header). */
  branches: TemplateBranch[] | undefined;
}

export class MemberTemplateError extends Error {}

function isMemberEquality(node: FilterNode): node is FilterNode & { type: 'equal'; attribute: string; value: string } {
  return node.type === 'equal' && node.value === MEMBER_SENTINEL;
}

export function mentionsMember(node: FilterNode): boolean {
  if ('children' in node) return node.children.some(mentionsMember);
  if ('child' in node) return mentionsMember(node.child);
  if (node.type === 'substring') return [node.initial, node.final, ...node.any].some((part) => part?.includes(MEMBER_SENTINEL));
  return 'value' in node && node.value.includes(MEMBER_SENTINEL);
}

/** The branches of a template, or undefined when it is not an OR of `condition AND attribute={member}`. */
function branchesOf(tree: FilterNode): TemplateBranch[] | undefined {
  const branches: TemplateBranch[] = [];
  for (const node of tree.type === 'or' ? tree.children : [tree]) {
    const parts = isMemberEquality(node) ? [node] : node.type === 'and' ? node.children : undefined;
    if (!parts) return undefined;
    const equalities = parts.filter(isMemberEquality);
    const rest = parts.filter((child) => !isMemberEquality(child));
    if (equalities.length !== 1 || rest.some(mentionsMember)) return undefined;
    const equality = equalities[0]!;
    const rule = equalityRuleOf(equality.attribute);
    if (rule === undefined) return undefined;
    const condition: FilterNode | undefined = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { type: 'and', children: rest };
    branches.push({ condition, attribute: equality.attribute.toLowerCase(), spelled: equality.attribute, rule });
  }
  return branches;
}

/**
 * Whether Roster evaluates `node` exactly as the server does (see the header). objectClass counts as exact here; at
 * run time it is exact only when the server's class hierarchy could be read.
 */
export function isExactInMemory(node: FilterNode, objectClassExact = true): boolean {
  switch (node.type) {
    case 'and':
    case 'or':
      return node.children.every((child) => isExactInMemory(child, objectClassExact));
    case 'not':
      return isExactInMemory(node.child, objectClassExact);
    case 'present':
      return node.attribute.toLowerCase() === 'objectclass' ? objectClassExact : equalityRuleOf(node.attribute) !== undefined;
    default:
      if (node.type !== 'equal') return false;
      if (node.attribute.toLowerCase() === 'objectclass') return objectClassExact && !node.value.includes(MEMBER_SENTINEL);
      return isExactEquality(node.attribute, node.value);
  }
}

/**
 * Whether every entry the filter selects has an attribute value equal to the member: then the entries worth checking
 * for a member are found through an index of those values. Not so under a negation, or in an OR with a branch that
 * does not compare with {member} (such a template would select entries unrelated to the member).
 */
function requiresMemberEquality(node: FilterNode): boolean {
  switch (node.type) {
    case 'and':
      return node.children.some(requiresMemberEquality) && !node.children.some((child) => child.type === 'not' && mentionsMember(child));
    case 'or':
      return node.children.every(requiresMemberEquality);
    default:
      return isMemberEquality(node);
  }
}

function isExactEquality(attribute: string, value: string): boolean {
  const rule = equalityRuleOf(attribute);
  if (rule === undefined) return false;
  if (value === MEMBER_SENTINEL) return true;
  // A value the rule cannot match (uidNumber=abc) is Undefined on the server (RFC 4511 §4.5.1.7), not false.
  return !value.includes(MEMBER_SENTINEL) && normalizeValue(rule, value) !== undefined;
}

/** Parses and checks a template; throws MemberTemplateError saying what to change when Roster cannot honour it. */
export function analyzeMemberTemplate(template: string): TemplateAnalysis {
  const tree = parseFilter(template.split(MEMBER_PLACEHOLDER).join(MEMBER_SENTINEL));
  const branches = branchesOf(tree);
  if (branches || (isExactInMemory(tree) && requiresMemberEquality(tree))) return { tree, branches };
  throw new MemberTemplateError(
    `Roster cannot evaluate this filter exactly as the server would without one search per member: write it as (&(condition)(attribute=${MEMBER_PLACEHOLDER})), ` +
      `or several of those joined by |, where attribute is one whose matching rule Roster knows (${Object.keys(RULES).join(', ')}); ` +
      `the condition may use anything the server understands (extensible matches, >=, <=, substrings)`,
  );
}
