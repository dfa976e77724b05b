/**
 * The equivalence check's directory for Active Directory (Samba AD DC): users in two OUs under an OU of its own,
 * groups nested three deep under one selected group, and the random changes issue 14 lists, as AD makes them:
 * `member` is a linked attribute (AD rewrites a member's DN when it is renamed or moved and drops it when it is
 * deleted, without touching the group's uSNChanged), accounts are disabled through userAccountControl (the user
 * filter excludes disabled accounts), new users and groups go into nested groups.
 */
import type { AdminClient } from './ldap-admin.js';
import { pick, type Operation, type Random } from './equivalence.js';

/** userAccountControl: NORMAL_ACCOUNT | PASSWD_NOTREQD (no password set), and that with ACCOUNTDISABLE (MS-ADTS §2.2.16). */
const ENABLED = '544';
const DISABLED = '546';

/** An object of the model: renames change its DN, and the groups listing it follow (a linked attribute). */
interface AdObject {
  dn: string;
  readonly name: string;
}

export interface AdModel {
  readonly base: string;
  /** An OU outside the base: a user moved there leaves what Roster reads. */
  readonly outside: string;
  readonly realm: string;
  readonly ous: readonly string[];
  readonly groupsOu: string;
  readonly users: AdObject[];
  /** Group → its members, as AD holds them (objects, so renamed ones stay listed). */
  readonly groups: Map<AdObject, AdObject[]>;
  readonly disabled: Set<AdObject>;
  /** sAMAccountNames are unique in the domain: each run's names start with this. */
  readonly prefix: string;
  next: number;
}

const rdnOf = (dn: string) => dn.slice(0, dn.indexOf(','));

export function newAdModel(base: string, realm: string, prefix: string): AdModel {
  const parent = base.slice(base.indexOf(',') + 1);
  return {
    base,
    outside: `OU=${prefix}-outside,${parent}`,
    realm,
    ous: [`OU=People,${base}`, `OU=Contractors,${base}`],
    groupsOu: `OU=Groups,${base}`,
    users: [],
    groups: new Map(),
    disabled: new Set(),
    prefix,
    next: 0,
  };
}

/** The model's settings (users enabled only, the groups below "Selected"); the connection is the caller's. */
export function adModelSettings() {
  return {
    users: {
      filter: '(&(objectCategory=User)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
      userName: 'userPrincipalName',
      localPartOnly: true,
      fullName: 'displayName',
      emailAddresses: 'mail',
    },
    groups: { filter: '(objectCategory=Group)', name: 'cn', description: 'description', members: 'member', groups: ['Selected'] },
    options: { deleteUsers: true, maxDeletions: 1000 },
  };
}

async function addUser(client: AdminClient, model: AdModel, suffix: string, ou: string, disabled: boolean): Promise<AdObject> {
  const name = model.prefix + suffix;
  const user: AdObject = { dn: `CN=${name},${ou}`, name };
  await client.add(user.dn, {
    objectClass: 'user',
    sAMAccountName: name,
    userPrincipalName: `${name}@${model.realm}`,
    displayName: `User ${name}`,
    mail: `${name}@example.com`,
    userAccountControl: disabled ? DISABLED : ENABLED,
  });
  model.users.push(user);
  if (disabled) model.disabled.add(user);
  return user;
}

async function addGroup(client: AdminClient, model: AdModel, name: string, members: AdObject[]): Promise<AdObject> {
  const group: AdObject = { dn: `CN=${name},${model.groupsOu}`, name };
  await client.add(group.dn, { objectClass: 'group', sAMAccountName: model.prefix + name, ...(members.length > 0 ? { member: members.map((member) => member.dn) } : {}) });
  model.groups.set(group, [...members]);
  return group;
}

async function addMember(client: AdminClient, model: AdModel, group: AdObject, member: AdObject): Promise<boolean> {
  const members = model.groups.get(group)!;
  // AD refuses a value already there (LDAP_ATTRIBUTE_OR_VALUE_EXISTS).
  if (member === group || members.includes(member)) return false;
  await client.modify(group.dn, { operation: 'add', type: 'member', values: [member.dn] });
  members.push(member);
  return true;
}

/** The OUs and the first users and groups (12 users, 4 groups; one user disabled), written through `client`. */
export async function fillAdModel(client: AdminClient, model: AdModel): Promise<void> {
  for (const ou of [model.base, model.outside, ...model.ous, model.groupsOu]) await client.add(ou, { objectClass: 'organizationalUnit' });
  for (let index = 0; index < 12; index++) await addUser(client, model, `u${index}`, model.ous[index % 2]!, index === 11);
  const u = (index: number) => model.users[index]!;
  const g2 = await addGroup(client, model, 'G2', [u(4), u(5), u(11)]);
  const g1 = await addGroup(client, model, 'G1', [g2, u(2), u(3)]);
  await addGroup(client, model, 'Selected', [g1, u(0), u(1)]);
  await addGroup(client, model, 'Other', [u(6), u(7)]);
}

function forget(model: AdModel, object: AdObject): void {
  for (const members of model.groups.values()) {
    const index = members.indexOf(object);
    if (index >= 0) members.splice(index, 1);
  }
}

/** The random changes, applied through `client` and recorded in `model`. */
export function adOperations(client: AdminClient, model: AdModel): Operation[] {
  const groups = () => [...model.groups.keys()];
  const named = (name: string) => groups().find((group) => group.name === name);
  return [
    async (random: Random) => {
      const user = await addUser(client, model, `n${model.next++}`, pick(model.ous, random), random() < 0.2);
      if (random() < 0.6) await addMember(client, model, pick(groups(), random), user);
      return `add ${user.dn}${model.disabled.has(user) ? ' (disabled)' : ''}`;
    },
    async (random: Random) => {
      const user = pick(model.users, random);
      await client.del(user.dn);
      model.users.splice(model.users.indexOf(user), 1);
      forget(model, user);
      return `delete ${user.dn}`;
    },
    async (random: Random) => {
      const user = pick(model.users, random);
      const [type, values] = random() < 0.5 ? ['displayName', [`Changed ${model.next++}`]] : ['mail', random() < 0.3 ? [] : [`m${model.next++}@example.com`]];
      await client.modify(user.dn, { operation: 'replace', type: type as string, values: values as string[] });
      return `modify ${type as string} of ${user.dn}`;
    },
    async (random: Random) => {
      const user = pick(model.users, random);
      const parent = user.dn.slice(user.dn.indexOf(',') + 1);
      const moved = random() < 0.6;
      // Now and then out of the base and back (a move out is a deletion for Roster, a move back an addition).
      const elsewhere = parent === model.outside ? pick(model.ous, random) : random() < 0.25 ? model.outside : model.ous.find((ou) => ou !== parent)!;
      const target = moved ? `${rdnOf(user.dn)},${elsewhere}` : `CN=r${model.next++},${parent}`;
      await client.modifyDN(user.dn, target);
      const before = user.dn;
      user.dn = target;
      return `${moved ? 'move' : 'rename'} ${before} -> ${target}`;
    },
    async (random: Random) => {
      const user = pick(model.users, random);
      const disable = !model.disabled.has(user);
      await client.modify(user.dn, { operation: 'replace', type: 'userAccountControl', values: [disable ? DISABLED : ENABLED] });
      if (disable) model.disabled.add(user);
      else model.disabled.delete(user);
      return `${disable ? 'disable' : 'enable'} ${user.dn}`;
    },
    async (random: Random) => {
      const group = pick(groups(), random);
      const member = pick([...model.users, ...groups()], random);
      return (await addMember(client, model, group, member)) ? `add member ${member.dn} to ${group.dn}` : 'member addition skipped';
    },
    async (random: Random) => {
      const group = pick(groups(), random);
      const members = model.groups.get(group)!;
      if (members.length === 0) return 'removal skipped (no member)';
      const member = pick(members, random);
      await client.modify(group.dn, { operation: 'delete', type: 'member', values: [member.dn] });
      members.splice(members.indexOf(member), 1);
      return `remove member ${member.dn} from ${group.dn}`;
    },
    async (random: Random) => {
      const group = await addGroup(client, model, `N${model.next++}`, [pick(model.users, random)]);
      await addMember(client, model, pick([named('Selected')!, named('G2')!, named('Other')!], random), group);
      return `add group ${group.dn}`;
    },
    async (random: Random) => {
      // A nested group renamed: the groups listing it get its new DN from AD, without a change of their own.
      const candidates = groups().filter((candidate) => !['Selected', 'G2', 'Other'].includes(candidate.name));
      if (candidates.length === 0) return 'group rename skipped (no nested group)';
      const group = pick(candidates, random);
      const target = `CN=${group.name}-r${model.next++},${model.groupsOu}`;
      await client.modifyDN(group.dn, target);
      const before = group.dn;
      group.dn = target;
      return `rename group ${before} -> ${target}`;
    },
    async (random: Random) => {
      // A nested group deleted: AD drops it from the groups listing it, again without a change of theirs.
      const candidates = groups().filter((candidate) => !['Selected', 'G2', 'Other'].includes(candidate.name));
      if (candidates.length < 2) return 'group deletion skipped (keeps one nested group)';
      const group = pick(candidates, random);
      await client.del(group.dn);
      model.groups.delete(group);
      forget(model, group);
      return `delete group ${group.dn}`;
    },
  ];
}
