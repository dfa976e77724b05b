/**
 * An incremental run that loads only the entries a change can reach, instead of the whole directory image
 * (issue 14, "Fast": loading and resolving 100,000 image entries was ~65% of a 1,000-change run).
 *
 * The affected entries are the user entries whose converted fields, group list or scope may differ between the
 * image before the refresh and after it. They are found from the group image (small: every group is loaded) and
 * the refresh, keyed by normalized DN:
 * 1. user entries the refresh reported changed or deleted (by syncUUID), with every entry holding one of their DNs
 *    before or after;
 * 2. for each group DN, the members listed before but not after or after but not before (a group renamed, added
 *    or deleted lists all its members on one side only);
 * 3. the members of each group whose set of selected groups reaching it differs (scope and usersInScope);
 * 4. entries holding a DN that became or stopped being a group's DN.
 * Invariant: an entry outside these keeps its fields, its groups and its scope, so a full run would find its user
 * matched and unchanged. The caller (sync/delta-run.ts) plans only the affected entries and keeps the rest.
 *
 * A full run's warnings are part of its report: those of member values that designate no entry are recomputed
 * from the values unresolved at the last run and the affected keys (unresolvedMembers); any other warning falls back.
 *
 * Whenever this cannot be sure, it answers `{ fallBack: reason }` and the caller computes the whole image as
 * before: a member search filter (its server-side branches and attribute profiles would need every entry), search
 * continuation references, ranged or tagged member values (AD), a selected group not found, an entry without a
 * user name or with a rejected address, two affected entries with one user name, an entry that is both a user and
 * a group, and more affected entries than MAX_AFFECTED.
 */
import type { DirectorySettings } from '../config/schema.js';
import type { LdapEntry } from '../ldap/entry.js';
import { dnKey } from '../rfc/dn.js';
import type { DirectoryGroup, DirectoryUser } from '../snapshot.js';
import { groupFromEntry, readUser, type ReadContext, type WorthRequesting } from './read.js';
import { unresolvedMemberWarning } from './resolve.js';
import { WarningCollector } from './warnings.js';
import { trace } from '../trace.js';

/** Beyond this many affected user entries the whole image is cheaper than loading them by key. */
export const MAX_AFFECTED = 20_000;

/** A user entry's place on one side of the refresh. */
export interface EntryState {
  readonly user: DirectoryUser;
  readonly inScope: boolean;
  /** Normalized DNs of the selected groups that reach the entry, directly or through nested groups. */
  readonly reachedBy: readonly string[];
}

/** An affected user entry: before the refresh (if it was in the image) and after it (if it still is). */
export interface AffectedEntry {
  readonly before: EntryState | undefined;
  readonly after: EntryState | undefined;
}

export interface ImageDelta {
  readonly affected: readonly AffectedEntry[];
  /**
   * Every group after the refresh. `directUsers` and `usersInScope` count only what the affected entries add and
   * remove: the caller adds the stored counts (sync/delta-groups.ts).
   */
  readonly groups: readonly DirectoryGroup[];
  /** User entries after the refresh minus before. */
  readonly userEntriesAdded: number;
  /** The warnings of member values that designate no entry, as resolve.ts words them, and those values. */
  readonly warnings: readonly string[];
  readonly unresolvedMemberKeys: readonly string[];
}

export type DeltaOutcome = { readonly delta: ImageDelta } | { readonly fallBack: string };

/** What the delta needs of the image: all groups (before and after) and a way to load user entries by key. */
export interface DeltaInput {
  readonly groupsBefore: ReadonlyMap<string, LdapEntry>;
  readonly groupsAfter: ReadonlyMap<string, LdapEntry>;
  /** User entries the refresh reported added or modified, by syncUUID. */
  readonly usersChanged: ReadonlyMap<string, LdapEntry>;
  /** User entries gone since the last run, by syncUUID (a delete phase's, or the image minus a present phase's). */
  readonly usersDeleted: ReadonlySet<string>;
  readonly hasReferences: boolean;
  /** Normalized member values that designated no entry before the refresh (the last run's). */
  readonly unresolvedBefore: ReadonlySet<string>;
  /** Stored user entries with one of these syncUUIDs or normalized DNs, as they were before the refresh. */
  loadUsers(keys: { uuids: string[]; dnKeys: string[] }): Promise<ReadonlyMap<string, LdapEntry>>;
}

interface GroupNode {
  readonly entry: LdapEntry;
  readonly group: DirectoryGroup;
  readonly members: string[];
  /** `members` normalized (rfc/dn.ts dnKey), by position. */
  readonly keys: readonly string[];
}

/**
 * The groups on one side of the refresh, by normalized DN, with which groups list each member key. The side
 * before indexes every member value once (the one pass over the ~100,000 of them); the side after takes the
 * unchanged groups from it and indexes only the groups the refresh changed.
 */
class GroupGraph {
  readonly byKey = new Map<string, GroupNode>();
  /** For each group key, the selected groups reaching it (sorted): what decides its members' scope. */
  readonly reachedBy = new Map<string, string[]>();
  /**
   * Member key → the groups listing it, each once: all groups (side before) or the changed ones (side after). Most
   * keys are listed by one group: the node itself then, not a list (100,000 lists cost more than the map).
   */
  private readonly index = new Map<string, GroupNode | GroupNode[]>();
  /** Side after: each unchanged group of the side before → the same group here. */
  private readonly kept = new Map<GroupNode, GroupNode>();
  private readonly memberSets = new Map<GroupNode, ReadonlySet<string>>();

  /** `previous`: the side before, whose unchanged entries (the same objects) are taken as they are. */
  constructor(
    context: ReadContext,
    entries: ReadonlyMap<string, LdapEntry>,
    private readonly previous?: GroupGraph,
  ) {
    const attribute = context.settings.groups.members;
    const unchanged = new Map<LdapEntry, GroupNode>();
    if (previous) for (const node of previous.byKey.values()) unchanged.set(node.entry, node);
    for (const entry of entries.values()) {
      const same = unchanged.get(entry);
      const members = same?.members ?? entry.values(attribute);
      const group = groupFromEntry(context, entry, members);
      if (this.byKey.has(group.dnKey)) throw new FallBack('two group entries with one DN');
      const node: GroupNode = { entry, group: { ...group, selected: false, directUsers: 0, directGroups: 0 }, members, keys: same?.keys ?? members.map(dnKey) };
      this.byKey.set(group.dnKey, node);
      if (same) this.kept.set(same, node);
      else this.indexMembers(node);
    }
  }

  private indexMembers(node: GroupNode): void {
    const keys = node.keys;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const listed = this.index.get(key);
      if (listed === undefined) this.index.set(key, node);
      else if (!Array.isArray(listed)) {
        if (listed !== node) this.index.set(key, [listed, node]);
      } else if (listed[listed.length - 1] !== node) listed.push(node);
    }
  }

  /** The groups listing a member key: on the side after, the unchanged ones (in the image's order) first. */
  listers(key: string): GroupNode[] {
    const listed = this.index.get(key);
    const own = listed === undefined ? [] : Array.isArray(listed) ? listed : [listed];
    if (!this.previous) return own;
    const listers: GroupNode[] = [];
    for (const old of this.previous.listers(key)) {
      const node = this.kept.get(old);
      if (node) listers.push(node);
    }
    return listers.length === 0 ? own : [...listers, ...own];
  }

  isGroup(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Selection and nesting (resolve.ts's scope, over groups only): which selected groups reach which groups. */
  resolve(selection: readonly string[]): void {
    const children = new Map<GroupNode, Set<string>>();
    for (const key of this.byKey.keys())
      for (const parent of this.listers(key)) {
        if (parent.group.dnKey === key) continue;
        const nested = children.get(parent);
        if (nested) nested.add(key);
        else children.set(parent, new Set([key]));
      }
    for (const [parent, nested] of children) {
      const position = new Map<string, number>();
      parent.keys.forEach((key, index) => position.has(key) || position.set(key, index));
      // resolve.ts lists nested groups in member order.
      parent.group.memberGroupKeys = [...nested].sort((a, b) => position.get(a)! - position.get(b)!);
      parent.group.directGroups = nested.size;
    }
    const names = new Set(selection.map((name) => name.toLowerCase()));
    const found = new Set<string>();
    for (const [key, node] of this.byKey) {
      if (!names.has(node.group.name.toLowerCase())) continue;
      found.add(node.group.name.toLowerCase());
      node.group.selected = true;
      node.group.usersInScope = 0;
      const queue = [key];
      const visited = new Set(queue);
      for (let group = queue.pop(); group !== undefined; group = queue.pop()) {
        const list = this.reachedBy.get(group);
        if (list) list.push(key);
        else this.reachedBy.set(group, [key]);
        for (const nested of children.get(this.byKey.get(group)!) ?? [])
          if (!visited.has(nested)) {
            visited.add(nested);
            queue.push(nested);
          }
      }
    }
    // A full run warns of a selected group the filter did not find (resolve.ts: missing-group).
    if (found.size !== names.size) throw new FallBack('a selected group was not found');
    for (const list of this.reachedBy.values()) list.sort();
  }

  reachedKey(group: string): string {
    return this.reachedBy.get(group)?.join('\u0000') ?? '';
  }

  /** The member keys of a group (none when there is no such group), as a set: for the few groups that changed. */
  memberSet(key: string): ReadonlySet<string> {
    const node = this.byKey.get(key);
    if (!node) return new Set();
    let set = this.memberSets.get(node);
    if (!set) this.memberSets.set(node, (set = new Set(node.keys)));
    return set;
  }
}

class FallBack extends Error {}

/** The user keys whose scope or groups the group changes can reach (rules 2 to 4 of the module comment). */
function keysReachedByGroupChanges(before: GroupGraph, after: GroupGraph, into: Set<string>, groupKeyChanges: Set<string>): void {
  for (const key of new Set([...before.byKey.keys(), ...after.byKey.keys()])) {
    const old = before.byKey.get(key);
    const now = after.byKey.get(key);
    if (!old || !now) groupKeyChanges.add(key);
    if (before.reachedKey(key) !== after.reachedKey(key)) {
      for (const member of old?.keys ?? []) into.add(member);
      for (const member of now?.keys ?? []) into.add(member);
      continue;
    }
    if (old?.entry === now?.entry) continue;
    const oldSet = before.memberSet(key);
    const nowSet = after.memberSet(key);
    for (const member of oldSet) if (!nowSet.has(member)) into.add(member);
    for (const member of nowSet) if (!oldSet.has(member)) into.add(member);
  }
}

function stateOf(context: ReadContext, worth: WorthRequesting, entry: LdapEntry, graph: GroupGraph, selection: boolean): EntryState {
  const user = readUser(context, entry, worth);
  if (!user) throw new FallBack('an entry without a user name');
  if (graph.isGroup(user.dnKey)) throw new FallBack('an entry that is both a user and a group');
  const groupKeys = graph.listers(user.dnKey).map((node) => node.group.dnKey);
  const reached = new Set<string>();
  for (const key of groupKeys) for (const selected of graph.reachedBy.get(key) ?? []) reached.add(selected);
  const { memberProfile: _profile, ...plain } = user;
  return { user: { ...plain, groupKeys }, inScope: !selection || reached.size > 0, reachedBy: [...reached] };
}

/**
 * The affected entries of a refresh, or why the whole image must be computed. `context.warnings` receives nothing:
 * a change that would warn falls back, so that the whole-image path reports it as a full run would.
 */
export async function imageDelta(context: ReadContext, worth: WorthRequesting, input: DeltaInput): Promise<DeltaOutcome> {
  try {
    return { delta: await computeDelta(context, worth, input) };
  } catch (error) {
    if (error instanceof FallBack) return { fallBack: error.message };
    throw error;
  }
}

async function computeDelta(context: ReadContext, worth: WorthRequesting, input: DeltaInput): Promise<ImageDelta> {
  const settings: DirectorySettings = context.settings;
  if (context.template) throw new FallBack('a member search filter');
  if (input.hasReferences || context.references.list().length > 0) throw new FallBack('search continuation references');
  for (const entries of [input.groupsBefore, input.groupsAfter])
    for (const entry of entries.values()) if (entry.names().some((name) => name.includes(';'))) throw new FallBack('ranged or tagged member values');
  const warnings = new WarningCollector();
  const quiet: ReadContext = { ...context, warnings };
  const before = new GroupGraph(quiet, input.groupsBefore);
  const after = new GroupGraph(quiet, input.groupsAfter, before);
  before.resolve(settings.groups.groups);
  after.resolve(settings.groups.groups);

  const keys = new Set<string>();
  const groupKeyChanges = new Set<string>();
  trace('groups before and after resolved');
  keysReachedByGroupChanges(before, after, keys, groupKeyChanges);
  for (const key of groupKeyChanges) keys.add(key);
  const uuids = [...input.usersChanged.keys(), ...input.usersDeleted];
  if (uuids.length + keys.size > MAX_AFFECTED) throw new FallBack(`more than ${MAX_AFFECTED} affected entries`);
  // Rule 1: the DNs the changed entries had and have, so that an entry taking a DN another left is seen too.
  const byUuid = await input.loadUsers({ uuids, dnKeys: [] });
  for (const entry of byUuid.values()) keys.add(dnKey(entry.dn));
  for (const entry of input.usersChanged.values()) keys.add(dnKey(entry.dn));
  const stored = new Map([...byUuid, ...(await input.loadUsers({ uuids: [], dnKeys: [...keys] }))]);
  const affectedUuids = new Set([...uuids, ...stored.keys()]);
  if (affectedUuids.size > MAX_AFFECTED) throw new FallBack(`more than ${MAX_AFFECTED} affected entries`);
  trace('affected entries loaded');

  const selection = settings.groups.groups.length > 0;
  const affected: AffectedEntry[] = [];
  const keysAfter = new Set<string>();
  let userEntriesAdded = 0;
  for (const uuid of affectedUuids) {
    const old = stored.get(uuid);
    const now = input.usersDeleted.has(uuid) ? undefined : (input.usersChanged.get(uuid) ?? old);
    if (!old && now) userEntriesAdded++;
    if (old && !now) userEntriesAdded--;
    const entry = {
      before: old && stateOf({ ...quiet, warnings: new WarningCollector() }, worth, old, before, selection),
      after: now && stateOf(quiet, worth, now, after, selection),
    };
    if (entry.after) keysAfter.add(entry.after.user.dnKey);
    // A DN that became or stopped being a group's while a user entry holds it changes what its members designate.
    for (const state of [entry.before, entry.after]) if (state && groupKeyChanges.has(state.user.dnKey)) throw new FallBack('an entry that is both a user and a group');
    affected.push(entry);
  }
  const unresolved = unresolvedMembers(after, keys, keysAfter, input.unresolvedBefore);
  const names = new Set<string>();
  for (const entry of affected) {
    if (!entry.after?.inScope) continue;
    const name = entry.after.user.userName.toLowerCase();
    if (names.has(name)) throw new FallBack('two affected entries with one user name');
    names.add(name);
  }
  if (warnings.list().length > 0) throw new FallBack('a change that gives a warning');
  return { affected, groups: [...after.byKey.values()].map((node) => node.group), userEntriesAdded, ...unresolved };
}

/**
 * The member values that designate no entry after the refresh, with a full run's warnings (resolve.ts, in group
 * and member order). A value outside `keys` designates what it designated before: no entry holding it was added,
 * removed or renamed, and no group took or left it. So only `keys` and the values unresolved before are looked at.
 */
function unresolvedMembers(after: GroupGraph, keys: ReadonlySet<string>, keysAfter: ReadonlySet<string>, before: ReadonlySet<string>) {
  const order = new Map<GroupNode, number>();
  const found: Array<{ readonly group: number; readonly position: number; readonly text: string }> = [];
  const unresolved = new Set<string>();
  for (const key of new Set([...keys, ...before])) {
    if (after.isGroup(key) || keysAfter.has(key)) continue;
    for (const node of after.listers(key)) {
      if (order.size === 0) [...after.byKey.values()].forEach((group, index) => order.set(group, index));
      unresolved.add(key);
      node.keys.forEach((member, position) => {
        if (member === key) found.push({ group: order.get(node)!, position, text: unresolvedMemberWarning(node.members[position]!, node.group.name) });
      });
    }
  }
  found.sort((a, b) => a.group - b.group || a.position - b.position);
  const warnings = new WarningCollector();
  for (const { text } of found) warnings.add('unresolved-member', text);
  return { warnings: warnings.list(), unresolvedMemberKeys: [...unresolved] };
}
