/**
 * Resolving plain member values (memberUid) through the "Search Filter for Members" without one LDAP round
 * trip per member: the template is evaluated in memory against the users and groups already read, through an
 * index on the attributes the template compares with {member}. Matching is case-insensitive, as the
 * caseIgnoreMatch rules of uid and cn are. Templates that cannot be indexed that way (the placeholder inside
 * a substring or extensible match) are resolved by the server instead (see read.ts).
 */
import { MEMBER_PLACEHOLDER } from '../config/schema.js';
import { filterAttributeSpellings, parseFilter, type FilterNode } from '../rfc/filter.js';

/** Only the attributes a template needs, lower-cased names and lower-cased values. */
// A plain object, not a Map: there is one per entry, 100,000 of them on a big directory.
export type AttributeBag = Readonly<Record<string, string[] | undefined>>;

/**
 * What the index keeps of an entry. For the usual templates, an OR of branches such as
 * `(&(objectClass=posixAccount)(uid={member}))`, the member-independent part of each branch is evaluated while
 * reading and only the values the entry can be found under are kept: the values of the member attributes of the
 * branches whose condition holds, lower-cased, as one string when there is one (most entries: a uid), else a list;
 * undefined when no branch holds. A member then matches the entry when it equals one of them, whichever branch it
 * came from. Other templates keep the attributes they read, in a bag.
 * Small on purpose: every user read keeps its profile until the members are resolved, 100,000 of them.
 */
export type MemberProfile = string | readonly string[] | { bag: AttributeBag } | undefined;

export interface MemberCandidate<T> {
  target: T;
  profile: MemberProfile;
}

/** A branch `condition AND (attribute={member})` of a template (condition absent: just the equality). */
interface Branch {
  condition: FilterNode | undefined;
  attribute: string;
  /** The attribute as the template spells it (what to look up in an entry). */
  spelled: string;
  /** The condition compiled once: it is checked on every entry read. */
  holds: (bag: AttributeBag) => boolean;
}

const SENTINEL = 'rosterMemberPlaceholder7f3a';

export interface MemberTemplate {
  tree: FilterNode;
  /** Attributes (lower-case) the template reads. */
  attributes: string[];
  /**
   * The same attributes as the template spells them (`objectClass`): what to request and look up, since servers
   * answer with their own spelling, usually the schema's, and an exact-spelling lookup is the fast one.
   */
  spelled: string[];
  /** Attributes compared for equality with {member}; empty when the template cannot be indexed. */
  indexedAttributes: string[];
  /** The branches when the template is an OR of `condition AND attribute={member}`; undefined otherwise. */
  branches: Branch[] | undefined;
  /** With branches: the attributes their conditions read, lower-cased and as spelled (index-aligned). */
  conditionAttributes: string[];
  conditionSpelled: string[];
}

type Comparison = { type: 'equal'; attribute: string; value: string };

function isMemberEquality(node: FilterNode): node is FilterNode & Comparison {
  return node.type === 'equal' && node.value === SENTINEL;
}

function mentionsMember(node: FilterNode): boolean {
  if ('children' in node) return node.children.some(mentionsMember);
  if ('child' in node) return mentionsMember(node.child);
  return mentionsSentinel(node);
}

function branchesOf(tree: FilterNode): Branch[] | undefined {
  const branches: Branch[] = [];
  for (const node of tree.type === 'or' ? tree.children : [tree]) {
    if (isMemberEquality(node)) {
      branches.push({ condition: undefined, attribute: node.attribute.toLowerCase(), spelled: node.attribute, holds: () => true });
      continue;
    }
    if (node.type !== 'and') return undefined;
    const equalities = node.children.filter(isMemberEquality);
    const rest = node.children.filter((child) => !isMemberEquality(child));
    if (equalities.length !== 1 || rest.some(mentionsMember)) return undefined;
    const condition: FilterNode | undefined = rest.length === 0 ? undefined : { type: 'and', children: rest };
    const equality = equalities[0]!;
    branches.push({ condition, attribute: equality.attribute.toLowerCase(), spelled: equality.attribute, holds: condition ? compileCondition(condition) : () => true });
  }
  return branches;
}

/** A filter without {member} as a predicate, its names and values lower-cased once instead of per entry. */
function compileCondition(node: FilterNode): (bag: AttributeBag) => boolean {
  switch (node.type) {
    // Loops rather than every()/some(): those would allocate a closure per entry checked.
    case 'and': {
      const children = node.children.map(compileCondition);
      return (bag) => {
        for (let index = 0; index < children.length; index++) if (!children[index]!(bag)) return false;
        return true;
      };
    }
    case 'or': {
      const children = node.children.map(compileCondition);
      return (bag) => {
        for (let index = 0; index < children.length; index++) if (children[index]!(bag)) return true;
        return false;
      };
    }
    case 'not': {
      const child = compileCondition(node.child);
      return (bag) => !child(bag);
    }
    case 'present': {
      const attribute = node.attribute.toLowerCase();
      return (bag) => (bag[attribute]?.length ?? 0) > 0;
    }
    case 'equal':
    case 'approx': {
      const attribute = node.attribute.toLowerCase();
      const wanted = node.value.toLowerCase();
      return (bag) => bag[attribute]?.includes(wanted) ?? false;
    }
    default:
      return (bag) => matchesFilter(node, bag, '');
  }
}

/**
 * One bag reused for every entry profiled by branches: only the value lists the branches keep outlive the call
 * (it runs for each of 100,000 entries, and is synchronous).
 */
const scratch = Object.create(null) as Record<string, string[] | undefined>;

/**
 * Profiles an entry for the index while it is read (see MemberProfile). With branches, only the attributes of the
 * conditions are read first; a branch's member attribute is lower-cased only when its condition holds (a user's
 * cn is not, when the other branch is for groups).
 */
export function profileEntry(template: MemberTemplate, entry: { values(name: string): string[] }): MemberProfile {
  if (!template.branches) return { bag: attributeBag(template.spelled, entry) };
  for (let index = 0; index < template.conditionAttributes.length; index++) {
    const values = entry.values(template.conditionSpelled[index]!);
    // Condition values (objectClass) repeat on every entry and are interned.
    scratch[template.conditionAttributes[index]!] = values.length > 0 ? values.map(lowerCaseInterned) : undefined;
  }
  let profile: string | string[] | undefined;
  for (let index = 0; index < template.branches.length; index++) {
    const branch = template.branches[index]!;
    if (!branch.holds(scratch)) continue;
    // Member values (a uid) are each an entry's own: lower-cased as they are added, without the intern table.
    const values = template.conditionAttributes.includes(branch.attribute) ? (scratch[branch.attribute] ?? []) : entry.values(branch.spelled);
    for (let v = 0; v < values.length; v++) profile = withProfileValue(profile, values[v]!.toLowerCase());
  }
  for (let index = 0; index < template.conditionAttributes.length; index++) scratch[template.conditionAttributes[index]!] = undefined;
  return profile;
}

/** Adds a value to a profile: one string while there is one value, a list of distinct values beyond. */
function withProfileValue(profile: string | string[] | undefined, value: string): string | string[] {
  if (profile === undefined) return value;
  if (typeof profile === 'string') return profile === value ? profile : [profile, value];
  if (!profile.includes(value)) profile.push(value);
  return profile;
}

export function compileMemberTemplate(template: string): MemberTemplate {
  const tree = parseFilter(template.split(MEMBER_PLACEHOLDER).join(SENTINEL));
  const indexed = new Set<string>();
  let indexable = true;
  const visit = (node: FilterNode): void => {
    if ('children' in node) node.children.forEach(visit);
    else if ('child' in node) visit(node.child);
    else if (node.type === 'equal' && node.value === SENTINEL) indexed.add(node.attribute.toLowerCase());
    else if (mentionsSentinel(node)) indexable = false;
  };
  visit(tree);
  const spellings = filterAttributeSpellings(tree);
  const branches = indexable ? branchesOf(tree) : undefined;
  const conditions = new Map<string, string>();
  for (const branch of branches ?? []) if (branch.condition) filterAttributeSpellings(branch.condition, conditions);
  return {
    tree,
    attributes: [...spellings.keys()],
    spelled: [...spellings.values()],
    indexedAttributes: indexable ? [...indexed] : [],
    branches,
    conditionAttributes: [...conditions.keys()],
    conditionSpelled: [...conditions.values()],
  };
}

function mentionsSentinel(node: FilterNode): boolean {
  if (node.type === 'substring') return [node.initial, node.final, ...node.any].some((part) => part?.includes(SENTINEL));
  return 'value' in node && node.value.includes(SENTINEL);
}

/** Evaluates a filter tree against an entry's attributes, with {member} bound to `member` (lower-cased). */
export function matchesFilter(node: FilterNode, attributes: AttributeBag, member: string): boolean {
  const bind = (value: string) => value.split(SENTINEL).join(member).toLowerCase();
  switch (node.type) {
    case 'and':
      return node.children.every((child) => matchesFilter(child, attributes, member));
    case 'or':
      return node.children.some((child) => matchesFilter(child, attributes, member));
    case 'not':
      return !matchesFilter(node.child, attributes, member);
    case 'present':
      return (attributes[node.attribute.toLowerCase()]?.length ?? 0) > 0;
    case 'equal':
    case 'approx': {
      const wanted = bind(node.value);
      return (attributes[node.attribute.toLowerCase()] ?? []).some((value) => value === wanted);
    }
    case 'greaterOrEqual':
    case 'lessOrEqual': {
      const bound = bind(node.value);
      return (attributes[node.attribute.toLowerCase()] ?? []).some((value) => (node.type === 'greaterOrEqual' ? compare(value, bound) >= 0 : compare(value, bound) <= 0));
    }
    case 'substring':
      return (attributes[node.attribute.toLowerCase()] ?? []).some((value) => matchesSubstring(value, node, bind));
    case 'extensible':
      return false;
  }
}

function compare(a: string, b: string): number {
  const numbers = [Number(a), Number(b)];
  if (a.trim() !== '' && b.trim() !== '' && numbers.every(Number.isFinite)) return numbers[0]! - numbers[1]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

function matchesSubstring(value: string, node: Extract<FilterNode, { type: 'substring' }>, bind: (value: string) => string): boolean {
  let position = 0;
  if (node.initial !== undefined) {
    const initial = bind(node.initial);
    if (!value.startsWith(initial)) return false;
    position = initial.length;
  }
  for (const part of node.any) {
    const found = value.indexOf(bind(part), position);
    if (found < 0) return false;
    position = found + bind(part).length;
  }
  return node.final === undefined || (value.length - bind(node.final).length >= position && value.endsWith(bind(node.final)));
}

/** One item for most values (a uid names one entry), else a list; items are never lists themselves. */
type Slot<V> = V | V[];

function addTo<V>(map: Map<string, Slot<V>>, value: string, item: V): void {
  const existing = map.get(value);
  if (existing === undefined) map.set(value, item);
  else if (existing === item) return;
  else if (Array.isArray(existing)) {
    if (!existing.includes(item)) existing.push(item);
  } else map.set(value, [existing, item]);
}

const NO_TARGETS: readonly never[] = Object.freeze([]);

/** What an index finds: a position or a name, never a list (lists are slots of several). */
type Target = number | string;

/** An index of candidates by the values of the template's indexed attributes. */
export class MemberIndex<T extends Target> {
  /** With branches: targets by the values of their profiles (see MemberProfile); a hit is a match. */
  private readonly byProfileValue = new Map<string, Slot<T>>();
  /** For templates without branches: candidates by any indexed attribute's value, checked in full at lookup. */
  private readonly byValue = new Map<string, Slot<MemberCandidate<T>>>();

  private readonly found: T[] = [];
  private readonly one: T[] = [];

  constructor(private readonly template: MemberTemplate) {}

  get indexable(): boolean {
    return this.template.indexedAttributes.length > 0;
  }

  add(target: T, profile: MemberProfile): void {
    if (profile === undefined) return;
    if (typeof profile === 'string') addTo(this.byProfileValue, profile, target);
    else if (Array.isArray(profile)) for (const value of profile) addTo(this.byProfileValue, value, target);
    else {
      const candidate = { target, profile };
      for (const attribute of this.template.indexedAttributes) {
        for (const value of (profile as { bag: AttributeBag }).bag[attribute] ?? []) addTo(this.byValue, value, candidate);
      }
    }
  }

  /** Everything the template with {member} = `member` matches among the indexed candidates. */
  resolve(member: string): readonly T[] {
    const key = member.toLowerCase();
    if (this.template.branches) {
      // A slot's list holds distinct targets already (addTo); a single target goes out in one list reused for every
      // answer (a member is resolved 100,000 times): the caller reads it before asking again.
      const slot = this.byProfileValue.get(key);
      if (slot === undefined) return NO_TARGETS;
      if (Array.isArray(slot)) return slot;
      this.one[0] = slot;
      return this.one;
    }
    const targets = this.found;
    targets.length = 0;
    const slot = this.byValue.get(key);
    for (const candidate of slot === undefined ? [] : Array.isArray(slot) ? slot : [slot]) {
      const profile = candidate.profile as { bag: AttributeBag };
      if (matchesFilter(this.template.tree, profile.bag, key) && !targets.includes(candidate.target)) targets.push(candidate.target);
    }
    return targets;
  }
}

// Without a prototype, so an attribute called "constructor" finds nothing inherited.
const EMPTY_BAG: AttributeBag = Object.freeze(Object.create(null) as Record<string, string[]>);
const interned = new Map<string, string>();

/** objectClass values repeat on every entry: keep one lower-cased copy of each short value. */
function lowerCaseInterned(value: string): string {
  if (value.length > 32) return value.toLowerCase();
  let lower = interned.get(value);
  if (lower === undefined) {
    lower = value.toLowerCase();
    if (interned.size < 10_000) interned.set(value, lower);
  }
  return lower;
}

/** The values of `names` (looked up as spelled), lower-cased, under lower-cased names. */
export function attributeBag(names: string[], entry: { values(name: string): string[] }): AttributeBag {
  if (names.length === 0) return EMPTY_BAG;
  const bag = Object.create(null) as Record<string, string[]>;
  for (const name of names) {
    const values = entry.values(name);
    if (values.length > 0) bag[lowerCaseInterned(name)] = values.map(lowerCaseInterned);
  }
  return bag;
}
