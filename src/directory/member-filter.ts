/**
 * Resolving plain member values (memberUid) through the "Search Filter for Members" with the server's semantics
 * (config/member-template.ts says what is exact in memory). The parts that are exact are evaluated against the users
 * and groups already read, through an index on the values compared with {member}; branches whose condition only the
 * server can evaluate are sent to it in batches (member-search.ts). Equality follows each attribute's matching rule
 * (caseIgnoreMatch for uid and cn, caseExactIA5Match for memberUid, integerMatch for uidNumber); objectClass follows
 * the server's class hierarchy (class-hierarchy.ts).
 *
 * Invariants: a profile or index holds values normalized by their attribute's rule (normalizeValue), prefixed by the
 * rule's tag unless caseIgnore (the usual one, kept free of copies), so that values compared under different rules
 * never meet; a template's scratch bag is empty between two calls of profileEntry.
 */
import { MEMBER_SENTINEL, analyzeMemberTemplate, equalityRuleOf, isExactInMemory, normalizeValue, type EqualityRule, type TemplateBranch } from '../config/member-template.js';
import { RosterError } from '../errors.js';
import type { ClassHierarchy } from '../rfc/object-classes.js';
import { filterAttributeSpellings, type FilterNode } from '../rfc/filter.js';

/**
 * Only the attributes a template needs, under lower-cased names: objectClass values lower-cased (classes compare by
 * name), others as the server sent them (compared by their attribute's rule).
 */
// A plain object, not a Map: there is one per entry, 100,000 of them.
export type AttributeBag = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * What the index keeps of an entry. With branches, the member-independent condition of each in-memory branch is
 * evaluated while reading and only the keys (memberKey) the entry can be found under are kept: one string when there
 * is one (most entries: a uid), else a list; undefined when no branch holds. Other templates keep a bag.
 * Small on purpose: every user read keeps its profile until the members are resolved, 100,000 of them.
 */
export type MemberProfile = string | readonly string[] | { bag: AttributeBag } | undefined;

/** A branch evaluated in memory: its condition compiled once, since it is checked on every entry read. */
interface MemoryBranch extends TemplateBranch {
  holds: (bag: AttributeBag) => boolean;
}

export interface MemberTemplate {
  tree: FilterNode;
  /** Attributes (lower-case) the in-memory part reads, and as the template spells them (index-aligned). */
  attributes: string[];
  spelled: string[];
  /** Without branches: attributes compared with {member}, by which candidates are indexed. */
  indexedAttributes: string[];
  /** Branches evaluated in memory; undefined when the template is not an OR of branches. */
  branches: MemoryBranch[] | undefined;
  /** Branches whose condition only the server can evaluate: resolved by batched searches (member-search.ts). */
  serverBranches: TemplateBranch[];
  /** The rules by which a member is looked up in the index. */
  memberRules: EqualityRule[];
  /** With branches: the attributes their conditions read, lower-cased and as spelled (index-aligned). */
  conditionAttributes: string[];
  conditionSpelled: string[];
  classes: ClassHierarchy | undefined;
  /** One bag reused for every entry profiled by branches (profileEntry is synchronous; empty between calls). */
  scratch: Record<string, readonly string[] | undefined>;
  /** objectClass values repeat on every entry: one lower-cased copy of each (bounded). */
  interned: Map<string, string>;
}

const RULE_TAG: Readonly<Record<EqualityRule, string>> = { caseIgnore: '', caseExact: '\u0001', integer: '\u0002', distinguishedName: '\u0003' };

/** The key a value is indexed and looked up under for `rule`; undefined when the rule cannot match it. */
export function memberKey(rule: EqualityRule, value: string): string | undefined {
  const normalized = normalizeValue(rule, value);
  return normalized === undefined ? undefined : RULE_TAG[rule] + normalized;
}

/**
 * Compiles a template for a read. `classes`: the server's class hierarchy, without which objectClass is not exact in
 * memory. Throws CONFIG_INVALID for a template that settings validation refuses (settings stored by an older Roster)
 * or whose objectClass items the server gives no schema to evaluate outside a branch.
 */
export function compileMemberTemplate(template: string, classes?: ClassHierarchy): MemberTemplate {
  let analysis;
  try {
    analysis = analyzeMemberTemplate(template);
  } catch (error) {
    throw new RosterError('CONFIG_INVALID', `groups.memberSearchFilter: ${(error as Error).message}`, { cause: error });
  }
  const { tree, branches } = analysis;
  const objectClassExact = classes !== undefined;
  const memory = branches?.filter((branch) => !branch.condition || isExactInMemory(branch.condition, objectClassExact));
  const server = branches?.filter((branch) => !memory!.includes(branch)) ?? [];
  if (!branches && !isExactInMemory(tree, objectClassExact)) {
    throw new RosterError(
      'CONFIG_INVALID',
      'groups.memberSearchFilter compares objectClass outside a branch (&(condition)(attribute={member})), and the server does not publish its schema to this account, so Roster cannot evaluate it exactly',
    );
  }
  const scratch = Object.create(null) as Record<string, readonly string[] | undefined>;
  const template_: MemberTemplate = {
    tree,
    attributes: [],
    spelled: [],
    indexedAttributes: [],
    branches: undefined,
    serverBranches: server,
    memberRules: [],
    conditionAttributes: [],
    conditionSpelled: [],
    classes,
    scratch,
    interned: new Map(),
  };
  const spellings = new Map<string, string>();
  if (memory) {
    const conditions = new Map<string, string>();
    for (const branch of memory) {
      if (branch.condition) filterAttributeSpellings(branch.condition, conditions);
      filterAttributeSpellings(branch.condition ?? { type: 'present', attribute: branch.spelled }, spellings);
      if (!spellings.has(branch.attribute)) spellings.set(branch.attribute, branch.spelled);
    }
    template_.branches = memory.map((branch) => ({ ...branch, holds: branch.condition ? compileCondition(branch.condition, template_) : () => true }));
    template_.conditionAttributes = [...conditions.keys()];
    template_.conditionSpelled = [...conditions.values()];
    template_.memberRules = [...new Set(memory.map((branch) => branch.rule))];
  } else {
    filterAttributeSpellings(tree, spellings);
    const indexed = new Set<string>();
    collectMemberAttributes(tree, indexed);
    template_.indexedAttributes = [...indexed];
    template_.memberRules = [...new Set(template_.indexedAttributes.map((attribute) => equalityRuleOf(attribute)!))];
  }
  template_.attributes = [...spellings.keys()];
  template_.spelled = [...spellings.values()];
  return template_;
}

function collectMemberAttributes(node: FilterNode, into: Set<string>): void {
  if ('children' in node) node.children.forEach((child) => collectMemberAttributes(child, into));
  else if ('child' in node) collectMemberAttributes(node.child, into);
  else if (node.type === 'equal' && node.value === MEMBER_SENTINEL) into.add(node.attribute.toLowerCase());
}

/** An equality item as a predicate on a bag: objectClass by the class hierarchy, others by their rule. */
function equalityTest(attribute: string, value: string, template: MemberTemplate): (bag: AttributeBag) => boolean {
  if (attribute === 'objectclass') {
    const wanted = value.toLowerCase();
    const classes = template.classes!;
    return (bag) => {
      const listed = bag.objectclass;
      if (listed) for (let index = 0; index < listed.length; index++) if (classes.isA(listed[index]!, wanted)) return true;
      return false;
    };
  }
  const rule = equalityRuleOf(attribute)!;
  const wanted = normalizeValue(rule, value);
  return (bag) => {
    const values = bag[attribute];
    if (!values || wanted === undefined) return false;
    for (let index = 0; index < values.length; index++) if (normalizeValue(rule, values[index]!) === wanted) return true;
    return false;
  };
}

/** A member-free filter as a predicate, compiled once (only exact items reach here: isExactInMemory). */
function compileCondition(node: FilterNode, template: MemberTemplate): (bag: AttributeBag) => boolean {
  switch (node.type) {
    // Loops rather than every()/some(): those would allocate a closure per entry checked.
    case 'and': {
      const children = node.children.map((child) => compileCondition(child, template));
      return (bag) => {
        for (let index = 0; index < children.length; index++) if (!children[index]!(bag)) return false;
        return true;
      };
    }
    case 'or': {
      const children = node.children.map((child) => compileCondition(child, template));
      return (bag) => {
        for (let index = 0; index < children.length; index++) if (children[index]!(bag)) return true;
        return false;
      };
    }
    case 'not': {
      const child = compileCondition(node.child, template);
      return (bag) => !child(bag);
    }
    case 'present': {
      const attribute = node.attribute.toLowerCase();
      return (bag) => (bag[attribute]?.length ?? 0) > 0;
    }
    default:
      if (node.type !== 'equal') throw new Error(`not exact in memory: ${node.type}`);
      return equalityTest(node.attribute.toLowerCase(), node.value, template);
  }
}

/** Evaluates an exact filter tree against an entry's bag, with {member} bound to `member`. */
export function matchesFilter(node: FilterNode, bag: AttributeBag, member: string, template: MemberTemplate): boolean {
  switch (node.type) {
    case 'and':
      return node.children.every((child) => matchesFilter(child, bag, member, template));
    case 'or':
      return node.children.some((child) => matchesFilter(child, bag, member, template));
    case 'not':
      return !matchesFilter(node.child, bag, member, template);
    case 'present':
      return (bag[node.attribute.toLowerCase()]?.length ?? 0) > 0;
    default:
      if (node.type !== 'equal') return false;
      return equalityTest(node.attribute.toLowerCase(), node.value === MEMBER_SENTINEL ? member : node.value, template)(bag);
  }
}
