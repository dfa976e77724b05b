/**
 * The in-memory half of member resolution (member-filter.ts): entry profiles taken while reading, and the index a
 * member value is looked up in. Keys are memberKey()s: normalized by the compared attribute's matching rule.
 */
import { matchesFilter, memberKey, type AttributeBag, type MemberProfile, type MemberTemplate } from './member-filter.js';

interface Entry {
  values(name: string): string[];
}

/** objectClass values repeat on every entry: keep one lower-cased copy of each short value (per template). */
function lowerCaseInterned(template: MemberTemplate, value: string): string {
  if (value.length > 32) return value.toLowerCase();
  let lower = template.interned.get(value);
  if (lower === undefined) {
    lower = value.toLowerCase();
    if (template.interned.size < 10_000) template.interned.set(value, lower);
  }
  return lower;
}

/** An attribute's values for a bag: objectClass lower-cased (classes compare by name), others as sent. */
function bagValues(template: MemberTemplate, attribute: string, values: string[]): readonly string[] | undefined {
  if (values.length === 0) return undefined;
  return attribute === 'objectclass' ? values.map((value) => lowerCaseInterned(template, value)) : values;
}

/**
 * Profiles an entry for the index while it is read (see MemberProfile). With branches, only the attributes of the
 * conditions are read first; a branch's member attribute is read only when its condition holds (a user's cn is not,
 * when the other branch is for groups).
 */
export function profileEntry(template: MemberTemplate, entry: Entry): MemberProfile {
  if (!template.branches) return { bag: attributeBag(template, entry) };
  const scratch = template.scratch;
  const conditionAttributes = template.conditionAttributes;
  for (let index = 0; index < conditionAttributes.length; index++) {
    scratch[conditionAttributes[index]!] = bagValues(template, conditionAttributes[index]!, entry.values(template.conditionSpelled[index]!));
  }
  let profile: string | string[] | undefined;
  try {
    for (let index = 0; index < template.branches.length; index++) {
      const branch = template.branches[index]!;
      if (!branch.holds(scratch)) continue;
      const values = entry.values(branch.spelled);
      for (let v = 0; v < values.length; v++) {
        const key = memberKey(branch.rule, values[v]!);
        if (key !== undefined) profile = withProfileValue(profile, key);
      }
    }
  } finally {
    for (let index = 0; index < conditionAttributes.length; index++) scratch[conditionAttributes[index]!] = undefined;
  }
  return profile;
}

/** Adds a value to a profile: one string while there is one value, a list of distinct values beyond. */
function withProfileValue(profile: string | string[] | undefined, value: string): string | string[] {
  if (profile === undefined) return value;
  if (typeof profile === 'string') return profile === value ? profile : [profile, value];
  if (!profile.includes(value)) profile.push(value);
  return profile;
}

// Without a prototype, so an attribute called "constructor" finds nothing inherited.
const EMPTY_BAG: AttributeBag = Object.create(null) as AttributeBag;

/** The values of the template's attributes (looked up as spelled), under lower-cased names. */
export function attributeBag(template: MemberTemplate, entry: Entry): AttributeBag {
  if (template.attributes.length === 0) return EMPTY_BAG;
  const bag = Object.create(null) as Record<string, readonly string[] | undefined>;
  for (let index = 0; index < template.attributes.length; index++) {
    const values = bagValues(template, template.attributes[index]!, entry.values(template.spelled[index]!));
    if (values) bag[template.attributes[index]!] = values;
  }
  return bag;
}

/** One item for most keys (a uid names one entry), else a list; items are never lists themselves. */
type Slot<V> = V | V[];

function addTo<V>(map: Map<string, Slot<V>>, key: string, item: V): void {
  const existing = map.get(key);
  if (existing === undefined) map.set(key, item);
  else if (existing === item) return;
  else if (Array.isArray(existing)) {
    if (!existing.includes(item)) existing.push(item);
  } else map.set(key, [existing, item]);
}

const NO_TARGETS: readonly never[] = [];

/** What an index finds: a position or a name, never a list (lists are slots of several). */
type Target = number | string;

/** An index of candidates by the keys of the values compared with {member}. */
export class MemberIndex<T extends Target> {
  /** With branches: targets by the keys of their profiles; a hit is a match. */
  private readonly byKey = new Map<string, Slot<T>>();
  /** Without branches: candidates by any indexed attribute's key, checked in full at lookup. */
  private readonly byValue = new Map<string, Slot<{ target: T; bag: AttributeBag }>>();
  private readonly found: T[] = [];
  private readonly one: T[] = [];

  constructor(private readonly template: MemberTemplate) {}

  add(target: T, profile: MemberProfile): void {
    if (profile === undefined) return;
    if (typeof profile === 'string') addTo(this.byKey, profile, target);
    else if (Array.isArray(profile)) for (const key of profile) addTo(this.byKey, key, target);
    else {
      const { bag } = profile as { bag: AttributeBag };
      const candidate = { target, bag };
      for (const attribute of this.template.indexedAttributes) {
        for (const rule of this.template.memberRules) for (const value of bag[attribute] ?? []) addKey(this.byValue, rule, value, candidate);
      }
    }
  }

  /**
   * Everything the in-memory part of the template matches with {member} = `member`. The answer may be a list reused
   * for the next call (a member is resolved 100,000 times): the caller reads it before asking again.
   */
  resolve(member: string): readonly T[] {
    const rules = this.template.memberRules;
    if (this.template.branches) {
      if (rules.length === 1) return this.answer(this.byKey.get(memberKey(rules[0]!, member) ?? ''));
      const targets = ((this.found.length = 0), this.found);
      for (const rule of rules) for (const target of this.slotList(this.byKey.get(memberKey(rule, member) ?? ''))) if (!targets.includes(target)) targets.push(target);
      return targets;
    }
    const targets = ((this.found.length = 0), this.found);
    for (const rule of rules) {
      for (const candidate of this.slotList(this.byValue.get(memberKey(rule, member) ?? ''))) {
        if (!targets.includes(candidate.target) && matchesFilter(this.template.tree, candidate.bag, member, this.template)) targets.push(candidate.target);
      }
    }
    return targets;
  }

  private answer(slot: Slot<T> | undefined): readonly T[] {
    if (slot === undefined) return NO_TARGETS;
    if (Array.isArray(slot)) return slot;
    this.one[0] = slot;
    return this.one;
  }

  private slotList<V>(slot: Slot<V> | undefined): readonly V[] {
    return slot === undefined ? NO_TARGETS : Array.isArray(slot) ? slot : [slot];
  }
}

function addKey<V>(map: Map<string, Slot<V>>, rule: Parameters<typeof memberKey>[0], value: string, item: V): void {
  const key = memberKey(rule, value);
  if (key !== undefined) addTo(map, key, item);
}
