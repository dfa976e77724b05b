/**
 * Group members → users and groups, nested groups at any depth (cycles visited once), and the scope:
 * with a group selection, the users reachable from a selected group; without, every user read.
 *
 * Invariants of what it returns: a user's groupKeys are distinct; users in exactly one group share that group's
 * one-element list (readonly: replaced, never changed in place); member profiles are dropped once resolved.
 */
import type { DirectorySettings } from '../config/schema.js';
import type { LdapSession } from '../ldap/session.js';
import { dnKey } from '../rfc/dn.js';
import { memberKey, type MemberProfile, type MemberTemplate } from './member-filter.js';
import { MemberIndex } from './member-index.js';
import { searchMembers } from './member-search.js';
import type { DirectoryGroup, DirectoryUser } from '../snapshot.js';
import type { ReferenceCollector } from './references.js';
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

/**
 * A member designates a user or a group, by position in the lists read: user i is i, group g is ~g (negative).
 * A number rather than an object: there is one per entry read, 100,000 of them.
 */
type Target = number;
const groupTarget = (index: number): Target => ~index;
const NOTHING: readonly Target[] = [];

/** Per group, the distinct users and nested groups it lists directly, by position. */
interface ResolvedGroup {
  users: number[];
  groups: number[];
}

export interface MembershipInput {
  users: ReadUser[];
  groups: RawGroup[];
  settings: DirectorySettings;
  template: MemberTemplate | undefined;
  session: LdapSession;
  baseDn: string;
  warnings: WarningCollector;
  references: ReferenceCollector;
}

/** The warning of a member value that designates no entry read (shared with image-delta.ts). */
export function unresolvedMemberWarning(member: string, groupName: string): string {
  return `member '${member}' of group '${groupName}' matched no entry`;
}

export interface Membership {
  /** Normalized member values that designated no entry (each once). */
  unresolvedMemberKeys: string[];
  users: DirectoryUser[];
  outsideSelection: Array<{ dnKey: string; stableId: string; userName: string; groupKeys?: readonly string[] }>;
  groups: DirectoryGroup[];
  ambiguousUserNames: string[];
}

/** Every entry read by normalized DN; an entry that both filters matched counts as a group. */
function targetsByDn(input: MembershipInput): Map<string, Target> {
  const byDn = new Map<string, Target>();
  input.users.forEach((user, index) => byDn.set(user.dnKey, index));
  input.groups.forEach((group, index) => byDn.set(group.dnKey, groupTarget(index)));
  return byDn;
}

export async function resolveMembership(input: MembershipInput): Promise<Membership> {
  const lookup = await memberLookup(input);
  // userSeen[u] === g + 1 once user u is listed for group g: distinct members without a Set per group.
  const userSeen = new Int32Array(input.users.length);
  const groupSeen = new Int32Array(input.groups.length);
  // The group lists of users in two groups or more: their own, grown here. Users in one group share that group's list.
  const ownLists = new Map<number, string[]>();
  const unresolved = new Set<string>();
  const resolved = input.groups.map((group, g): ResolvedGroup => {
    const entry: ResolvedGroup = { users: [], groups: [] };
    let onlyThisGroup: readonly string[] | undefined;
    // Indexed loops here and below: for-of allocates an iterator result per element until the optimizing compiler
    // takes over, and these loops run once per process over 100,000 elements.
    const members = group.members;
    for (let m = 0; m < members.length; m++) {
      const member = members[m]!;
      const targets = lookup(member);
      if (targets.length === 0) {
        input.warnings.add('unresolved-member', unresolvedMemberWarning(member, group.name));
        unresolved.add(dnKey(member));
      }
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t]!;
        if (target >= 0) {
          if (userSeen[target] === g + 1) continue;
          userSeen[target] = g + 1;
          entry.users.push(target);
          const user = input.users[target]!;
          // Most users are in one group: they share one list per group; a second group gives a list of their own.
          if (user.groupKeys.length === 0) user.groupKeys = onlyThisGroup ??= [group.dnKey];
          else {
            const own = ownLists.get(target);
            if (own) own.push(group.dnKey);
            else ownLists.set(target, (user.groupKeys = [user.groupKeys[0]!, group.dnKey]));
          }
        } else if (~target !== g && groupSeen[~target] !== g + 1) {
          groupSeen[~target] = g + 1;
          entry.groups.push(~target);
        }
      }
    }
    return entry;
  });
  // Lists grown by push() keep spare room; 100,000 users keep their group lists for the whole run.
  for (let u = 0; u < input.users.length; u++) {
    const user = input.users[u]!;
    if (user.groupKeys.length > 2) user.groupKeys = user.groupKeys.slice();
  }
  return { ...scope(input, resolved), unresolvedMemberKeys: [...unresolved] };
}

/** A function from a member value to the users and groups it designates. */
async function memberLookup(input: MembershipInput): Promise<(member: string) => readonly Target[]> {
  const template = input.template;
  if (!template) {
    const byDn = targetsByDn(input);
    // One list reused for every answer: the caller reads it before asking again.
    const found: Target[] = [0];
    return (member) => {
      const target = byDn.get(dnKey(member));
      if (target === undefined) return NOTHING;
      found[0] = target;
      return found;
    };
  }
  const index = memoryIndex(input, template);
  if (template.serverBranches.length === 0) return (member) => index.resolve(member);
  const byDn = targetsByDn(input);
  const members = [...new Set(input.groups.flatMap((group) => group.members))];
  const found = await searchMembers(
    { session: input.session, baseDn: input.baseDn, pageSize: input.settings.connection.pageSize, references: input.references },
    template.serverBranches,
    members,
    (key) => byDn.get(key),
  );
  const serverRules = [...new Set(template.serverBranches.map((branch) => branch.rule))];
  return (member) => {
    const local = index.resolve(member);
    let merged: Target[] | undefined;
    for (const rule of serverRules) {
      const remote = found.get(memberKey(rule, member) ?? '');
      if (!remote) continue;
      merged ??= [...local];
      for (const target of remote) if (!merged.includes(target)) merged.push(target);
    }
    return merged ?? local;
  };
}

/** The in-memory part: straight from the lists, not through a map of 100,000 DNs; entries both filters matched count as groups. */
function memoryIndex(input: MembershipInput, template: MemberTemplate): MemberIndex<Target> {
  const index = new MemberIndex<Target>(template);
  const groupKeys = new Set(input.groups.map((group) => group.dnKey));
  input.users.forEach((user, position) => {
    if (user.memberProfile !== undefined && !groupKeys.has(user.dnKey)) index.add(position, user.memberProfile);
  });
  input.groups.forEach((group, position) => {
    index.add(groupTarget(position), group.memberProfile);
  });
  return index;
}

function scope(input: MembershipInput, resolved: ResolvedGroup[]): Omit<Membership, 'unresolvedMemberKeys'> {
  const selection = input.settings.groups.groups;
  const selectedNames = new Set(selection.map((name) => name.toLowerCase()));
  const selected = input.groups.flatMap((group, index) => (selectedNames.has(group.name.toLowerCase()) ? [index] : []));
  for (const name of selection) {
    if (!selected.some((index) => input.groups[index]!.name.toLowerCase() === name.toLowerCase())) {
      input.warnings.add('missing-group', `selected group '${name}' was not found by the group filter`);
    }
  }
  const inScopeMark = new Uint8Array(input.users.length);
  const usersInScopeOf = new Map<number, number>();
  if (selection.length === 0) inScopeMark.fill(1);
  else {
    const reachedBy = new Int32Array(input.users.length);
    selected.forEach((start, s) => {
      let count = 0;
      forEachReachableGroup(start, resolved, (group) => {
        const users = resolved[group]!.users;
        for (let u = 0; u < users.length; u++) {
          const user = users[u]!;
          if (reachedBy[user] === s + 1) continue;
          reachedBy[user] = s + 1;
          inScopeMark[user] = 1;
          count++;
        }
      });
      usersInScopeOf.set(start, count);
    });
  }
  const inScope = input.users.filter((_, index) => inScopeMark[index] === 1);
  const { users, ambiguousUserNames } = withoutAmbiguousNames(inScope, input.warnings);
  const groups: DirectoryGroup[] = input.groups.map((group, index) => ({
    dn: group.dn,
    dnKey: group.dnKey,
    name: group.name,
    description: group.description,
    selected: usersInScopeOf.has(index),
    directUsers: resolved[index]!.users.length,
    directGroups: resolved[index]!.groups.length,
    ...(usersInScopeOf.has(index) ? { usersInScope: usersInScopeOf.get(index) } : {}),
    ...(resolved[index]!.groups.length ? { memberGroupKeys: resolved[index]!.groups.map((nested) => input.groups[nested]!.dnKey) } : {}),
  }));
  const outsideSelection = input.users
    .filter((_, index) => inScopeMark[index] === 0)
    .map((user) => ({ dnKey: user.dnKey, stableId: user.stableId, userName: user.userName, groupKeys: user.groupKeys }));
  for (let u = 0; u < input.users.length; u++) input.users[u]!.memberProfile = undefined;
  return { users, outsideSelection, groups, ambiguousUserNames };
}

/**
 * Visits a group and the groups nested in it at any depth, each once, so cycles end. A callback, not a generator:
 * a generator's users would cost an object each, 100,000 of them.
 */
function forEachReachableGroup(start: number, resolved: ResolvedGroup[], visit: (group: number) => void): void {
  const visited = new Set<number>([start]);
  const queue = [start];
  for (let group = queue.pop(); group !== undefined; group = queue.pop()) {
    visit(group);
    for (const nested of resolved[group]!.groups) {
      if (!visited.has(nested)) {
        visited.add(nested);
        queue.push(nested);
      }
    }
  }
}

function withoutAmbiguousNames(users: ReadUser[], warnings: WarningCollector): { users: ReadUser[]; ambiguousUserNames: string[] } {
  // A set of names first; the entries behind a repeated name are looked up only when there is one (rarely).
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (let u = 0; u < users.length; u++) {
    const key = users[u]!.userName.toLowerCase();
    // One hash lookup per name: the set grows unless the name was there already.
    const size = seen.size;
    if (seen.add(key).size === size) repeated.add(key);
  }
  const sharing = new Map<string, ReadUser[]>();
  if (repeated.size > 0) {
    for (const user of users) {
      const key = user.userName.toLowerCase();
      if (!repeated.has(key)) continue;
      const list = sharing.get(key);
      if (list) list.push(user);
      else sharing.set(key, [user]);
    }
  }
  const ambiguous = [...sharing.keys()];
  for (const [, list] of sharing) {
    warnings.add('ambiguous-name', `user name '${list[0]!.userName}' is used by ${list.length} entries (${list.map((user) => user.dn).join('; ')}); none of them is synchronized`);
  }
  return { users: sharing.size ? users.filter((user) => !sharing.has(user.userName.toLowerCase())) : users, ambiguousUserNames: ambiguous };
}
