/**
 * Group members → users and groups, nested groups at any depth (cycles visited once), and the scope:
 * with a group selection, the users reachable from a selected group; without, every user read.
 */
import type { DirectorySettings } from '../config/schema.js';
import { MEMBER_PLACEHOLDER } from '../config/schema.js';
import type { LdapSession } from '../ldap/session.js';
import { dnKey } from '../rfc/dn.js';
import { escapeFilterValue } from '../rfc/filter.js';
import { MemberIndex, type MemberProfile, type MemberTemplate } from './member-filter.js';
import type { DirectoryGroup, DirectoryUser } from './snapshot.js';
import type { WarningCollector } from './warnings.js';

export interface ReadUser extends DirectoryUser {
  /** Only needed to resolve members; released once they are resolved. */
  memberProfile: MemberProfile | undefined;
}

export interface RawGroup {
  dn: string;
  dnKey: string;
  name: string;
  description: string;
  members: string[];
  memberProfile: MemberProfile | undefined;
}

type Target = { kind: 'user'; user: ReadUser } | { kind: 'group'; group: RawGroup };

interface ResolvedGroup {
  raw: RawGroup;
  users: Set<ReadUser>;
  groups: Set<RawGroup>;
}

export interface MembershipInput {
  users: ReadUser[];
  groups: RawGroup[];
  settings: DirectorySettings;
  template: MemberTemplate | undefined;
  session: LdapSession;
  baseDn: string;
  warnings: WarningCollector;
}

export interface Membership {
  users: DirectoryUser[];
  outsideSelection: Array<{ dnKey: string; stableId: string; userName: string }>;
  groups: DirectoryGroup[];
  ambiguousUserNames: string[];
}

export async function resolveMembership(input: MembershipInput): Promise<Membership> {
  const byDn = new Map<string, Target>();
  for (const user of input.users) byDn.set(user.dnKey, { kind: 'user', user });
  for (const group of input.groups) byDn.set(group.dnKey, { kind: 'group', group });
  const lookup = await memberLookup(input, byDn);
  const resolved = new Map<RawGroup, ResolvedGroup>();
  for (const group of input.groups) {
    const entry: ResolvedGroup = { raw: group, users: new Set(), groups: new Set() };
    for (const member of group.members) {
      const targets = lookup(member);
      if (targets.length === 0) input.warnings.add('unresolved-member', `member '${member}' of group '${group.name}' matched no entry`);
      for (const target of targets) {
        if (target.kind === 'user') entry.users.add(target.user);
        else if (target.group !== group) entry.groups.add(target.group);
      }
    }
    for (const user of entry.users) user.groupKeys.push(group.dnKey);
    resolved.set(group, entry);
  }
  return scope(input, resolved);
}

/** A function from a member value to the users and groups it designates. */
async function memberLookup(input: MembershipInput, byDn: Map<string, Target>): Promise<(member: string) => Target[]> {
  const template = input.template;
  if (!template) {
    return (member) => {
      const target = byDn.get(dnKey(member));
      return target ? [target] : [];
    };
  }
  if (template.indexedAttributes.length > 0) {
    const index = new MemberIndex<Target>(template);
    for (const target of byDn.values()) {
      const profile = target.kind === 'user' ? target.user.memberProfile : target.group.memberProfile;
      if (profile) index.add({ target, profile });
    }
    return (member) => index.resolve(member);
  }
  return serverLookup(input, byDn);
}

/** For templates that cannot be evaluated in memory: one search per distinct member value, a few in flight. */
async function serverLookup(input: MembershipInput, byDn: Map<string, Target>): Promise<(member: string) => Target[]> {
  const values = [...new Set(input.groups.flatMap((group) => group.members))];
  const results = new Map<string, Target[]>();
  const template = input.settings.groups.memberSearchFilter!;
  const work = async (value: string) => {
    const targets: Target[] = [];
    const filter = template.split(MEMBER_PLACEHOLDER).join(escapeFilterValue(value));
    for await (const page of input.session.searchPages({ base: input.baseDn, filter, attributes: ['1.1'], purpose: `member search for '${value}'` })) {
      for (const entry of page.entries) {
        const target = byDn.get(dnKey(entry.dn));
        if (target) targets.push(target);
      }
    }
    results.set(value, targets);
  };
  const queue = [...values];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let value = queue.shift(); value !== undefined; value = queue.shift()) await work(value);
    }),
  );
  return (member) => results.get(member) ?? [];
}

function scope(input: MembershipInput, resolved: Map<RawGroup, ResolvedGroup>): Membership {
  const selection = input.settings.groups.groups;
  const selectedNames = new Set(selection.map((name) => name.toLowerCase()));
  const selectedGroups = input.groups.filter((group) => selectedNames.has(group.name.toLowerCase()));
  for (const name of selection) {
    if (!selectedGroups.some((group) => group.name.toLowerCase() === name.toLowerCase())) {
      input.warnings.add('missing-group', `selected group '${name}' was not found by the group filter`);
    }
  }
  let inScope: ReadUser[];
  const usersInScopeOf = new Map<RawGroup, number>();
  if (selection.length === 0) {
    inScope = input.users;
  } else {
    const all = new Set<ReadUser>();
    for (const group of selectedGroups) {
      const reached = reachableUsers(group, resolved);
      usersInScopeOf.set(group, reached.size);
      for (const user of reached) all.add(user);
    }
    inScope = input.users.filter((user) => all.has(user));
  }
  const { users, ambiguousUserNames } = withoutAmbiguousNames(inScope, input.warnings);
  const groups: DirectoryGroup[] = input.groups.map((group) => ({
    dn: group.dn,
    dnKey: group.dnKey,
    name: group.name,
    description: group.description,
    selected: usersInScopeOf.has(group),
    directUsers: resolved.get(group)!.users.size,
    directGroups: resolved.get(group)!.groups.size,
    ...(usersInScopeOf.has(group) ? { usersInScope: usersInScopeOf.get(group) } : {}),
  }));
  const inScopeSet = new Set(inScope);
  const outsideSelection = input.users.filter((user) => !inScopeSet.has(user)).map((user) => ({ dnKey: user.dnKey, stableId: user.stableId, userName: user.userName }));
  for (const user of input.users) user.memberProfile = undefined;
  return { users, outsideSelection, groups, ambiguousUserNames };
}

/** Users reachable from a group through nested groups; each group is visited once, so cycles end. */
function reachableUsers(start: RawGroup, resolved: Map<RawGroup, ResolvedGroup>): Set<ReadUser> {
  const users = new Set<ReadUser>();
  const visited = new Set<RawGroup>([start]);
  const queue = [start];
  for (let group = queue.pop(); group; group = queue.pop()) {
    const entry = resolved.get(group)!;
    for (const user of entry.users) users.add(user);
    for (const nested of entry.groups) {
      if (!visited.has(nested)) {
        visited.add(nested);
        queue.push(nested);
      }
    }
  }
  return users;
}

function withoutAmbiguousNames(users: ReadUser[], warnings: WarningCollector): { users: ReadUser[]; ambiguousUserNames: string[] } {
  const byName = new Map<string, ReadUser[]>();
  for (const user of users) {
    const key = user.userName.toLowerCase();
    const list = byName.get(key);
    if (list) list.push(user);
    else byName.set(key, [user]);
  }
  const ambiguous: string[] = [];
  for (const [key, list] of byName) {
    if (list.length < 2) continue;
    ambiguous.push(key);
    warnings.add('ambiguous-name', `user name '${list[0]!.userName}' is used by ${list.length} entries (${list.map((user) => user.dn).join('; ')}); none of them is synchronized`);
  }
  const excluded = new Set(ambiguous);
  return { users: excluded.size ? users.filter((user) => !excluded.has(user.userName.toLowerCase())) : users, ambiguousUserNames: ambiguous };
}
