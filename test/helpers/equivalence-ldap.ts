/**
 * The equivalence check's directory for standard LDAP servers (OpenLDAP, 389-DS): people in two OUs, groups nested
 * three deep under one selected group, and the random changes issue 14 lists (adds, deletes, modifies, renames and
 * moves, member additions and removals at any nesting depth, filter-relevant attribute changes, new groups).
 */
import type { AdminClient } from './ldap-admin.js';
import { pick, type Operation, type Random } from './equivalence.js';

/** How groups name their members: DNs in `member` (groupOfNames), or names in `memberUid` resolved by a template. */
export interface Variant {
  readonly name: string;
  readonly objectClass: 'groupOfNames' | 'posixGroup';
  readonly attribute: 'member' | 'memberUid';
  /** The value a group lists for the entry `dn` (its DN, or its RDN's value: uid or cn). */
  valueOf(dn: string): string;
}

export const DN_MEMBERS: Variant = { name: 'DN members', objectClass: 'groupOfNames', attribute: 'member', valueOf: (dn) => dn };
export const UID_MEMBERS: Variant = {
  name: 'memberUid with a {member} template',
  objectClass: 'posixGroup',
  attribute: 'memberUid',
  valueOf: (dn) => /^[^=]+=([^,]+)/.exec(dn)![1]!,
};

export interface LdapModel {
  readonly variant: Variant;
  readonly base: string;
  readonly ous: readonly string[];
  readonly groupsOu: string;
  readonly users: string[];
  /** Group DN -> the DNs of the entries it lists (as they were when listed: renames leave them stale, as in LDAP). */
  readonly groups: Map<string, string[]>;
  next: number;
  nextId: number;
}

export type Attributes = Record<string, string | string[]>;

export function newLdapModel(variant: Variant, base: string): LdapModel {
  return { variant, base, ous: [`ou=people,${base}`, `ou=contractors,${base}`], groupsOu: `ou=groups,${base}`, users: [], groups: new Map(), next: 0, nextId: 5000 };
}

function groupEntry(model: LdapModel, dn: string, members: string[]): Attributes {
  const cn = /^cn=([^,]+)/.exec(dn)![1]!;
  const values = members.map((member) => model.variant.valueOf(member));
  return model.variant.objectClass === 'groupOfNames'
    ? { objectClass: 'groupOfNames', cn, member: values }
    : { objectClass: 'posixGroup', cn, gidNumber: String(model.nextId++), memberUid: values };
}

function person(model: LdapModel, uid: string, ou: string, hidden = false): { dn: string; attributes: Attributes } {
  return {
    dn: `uid=${uid},${ou}`,
    attributes: {
      objectClass: ['inetOrgPerson', 'posixAccount'],
      uid,
      cn: uid,
      sn: uid,
      uidNumber: String(model.nextId++),
      gidNumber: '100',
      homeDirectory: `/home/${uid}`,
      displayName: `User ${uid}`,
      mail: `${uid}@example.com`,
      ...(hidden ? { description: 'hidden' } : {}),
    },
  };
}

/** The entries below the base (the OUs, 12 people, 4 groups); the model records them. */
export function initialEntries(model: LdapModel): { dn: string; attributes: Attributes }[] {
  const entries: { dn: string; attributes: Attributes }[] = [...model.ous, model.groupsOu].map((dn) => ({
    dn,
    attributes: { objectClass: 'organizationalUnit', ou: /^ou=([^,]+)/.exec(dn)![1]! },
  }));
  for (let index = 0; index < 12; index++) {
    const entry = person(model, `u${index}`, model.ous[index % 2]!, index === 11);
    model.users.push(entry.dn);
    entries.push(entry);
  }
  const u = (index: number) => model.users[index]!;
  const g = (cn: string) => `cn=${cn},${model.groupsOu}`;
  model.groups.set(g('Selected'), [g('G1'), u(0), u(1)]);
  model.groups.set(g('G1'), [g('G2'), u(2), u(3)]);
  model.groups.set(g('G2'), [u(4), u(5), u(11)]);
  model.groups.set(g('Other'), [u(6), u(7)]);
  for (const [dn, members] of model.groups) entries.push({ dn, attributes: groupEntry(model, dn, members) });
  return entries;
}

/** The Roster settings' user and group parts for this directory (the connection is the server's). */
export function ldapModelSettings(variant: Variant) {
  const groups =
    variant.objectClass === 'groupOfNames'
      ? { filter: '(objectClass=groupOfNames)', name: 'cn', members: 'member', memberSearchFilter: '', groups: ['Selected'] }
      : {
          filter: '(objectClass=posixGroup)',
          name: 'cn',
          members: 'memberUid',
          memberSearchFilter: '(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))',
          groups: ['Selected'],
        };
  return {
    users: { filter: '(&(objectClass=posixAccount)(!(description=hidden)))', userName: 'uid', fullName: 'displayName', emailAddresses: 'mail' },
    groups,
    options: { deleteUsers: true, maxDeletions: 1000 },
  };
}

const replace = (type: string, values: string[]) => ({ operation: 'replace' as const, type, values });

async function addMember(client: AdminClient, model: LdapModel, group: string, member: string): Promise<void> {
  const members = model.groups.get(group)!;
  const value = model.variant.valueOf(member).toLowerCase();
  if (members.some((existing) => model.variant.valueOf(existing).toLowerCase() === value)) return;
  await client.modify(group, { operation: 'add', type: model.variant.attribute, values: [model.variant.valueOf(member)] });
  members.push(member);
}

/**
 * The random changes, applied through `client` and recorded in `model`. `duplicateNames`: also add entries with a
 * user name already in use (in the other OU), which a server enforcing unique uids would refuse.
 */
export function ldapOperations(client: AdminClient, model: LdapModel, options: { duplicateNames?: boolean } = {}): Operation[] {
  const groupDns = () => [...model.groups.keys()];
  const g = (cn: string) => `cn=${cn},${model.groupsOu}`;
  // A second entry with a user name in use: a full run finds both ambiguous, and the delta path must fall back.
  const duplicateName = async (random: Random) => {
    const [, uid, ou] = /^uid=([^,]+),(.*)$/.exec(pick(model.users, random))!;
    const { dn, attributes } = person(
      model,
      uid!,
      model.ous.find((other) => other !== ou)!,
    );
    if (model.users.includes(dn)) return 'duplicate name skipped';
    await client.add(dn, attributes);
    model.users.push(dn);
    if (random() < 0.6) await addMember(client, model, pick(groupDns(), random), dn);
    return `add ${dn} (a name in use)`;
  };
  return [
    ...(options.duplicateNames ? [duplicateName] : []),
    async (random: Random) => {
      const { dn, attributes } = person(model, `n${model.next++}`, pick(model.ous, random), random() < 0.2);
      await client.add(dn, attributes);
      model.users.push(dn);
      if (random() < 0.6) await addMember(client, model, pick(groupDns(), random), dn);
      return `add ${dn}`;
    },
    async (random: Random) => {
      const dn = pick(model.users, random);
      await client.del(dn);
      model.users.splice(model.users.indexOf(dn), 1);
      return `delete ${dn}`;
    },
    async (random: Random) => {
      const dn = pick(model.users, random);
      await client.modify(dn, random() < 0.5 ? replace('displayName', [`Changed ${model.next++}`]) : replace('mail', random() < 0.3 ? [] : [`m${model.next++}@example.com`]));
      return `modify ${dn}`;
    },
    async (random: Random) => {
      const dn = pick(model.users, random);
      const [, rest] = /^[^,]+,(.*)$/.exec(dn)!;
      const moved = random() < 0.5;
      const target = moved ? `${dn.split(',')[0]},${model.ous.find((ou) => ou !== rest) ?? model.ous[0]}` : `uid=r${model.next++},${rest}`;
      if (model.users.includes(target)) return 'rename skipped';
      await client.modifyDN(dn, target);
      model.users[model.users.indexOf(dn)] = target;
      return `${moved ? 'move' : 'rename'} ${dn} -> ${target}`;
    },
    async (random: Random) => {
      const dn = pick(model.users, random);
      await client.modify(dn, replace('description', random() < 0.5 ? ['hidden'] : []));
      return `toggle filter attribute of ${dn}`;
    },
    async (random: Random) => {
      const group = pick(groupDns(), random);
      const candidates = [...model.users, ...groupDns().filter((other) => other !== group)];
      const member = pick(candidates, random);
      await addMember(client, model, group, member);
      return `add member ${member} to ${group}`;
    },
    async (random: Random) => {
      const group = pick(groupDns(), random);
      const members = model.groups.get(group)!;
      if (members.length < 2) return 'removal skipped (groupOfNames needs a member)';
      const member = pick(members, random);
      await client.modify(group, { operation: 'delete', type: model.variant.attribute, values: [model.variant.valueOf(member)] });
      members.splice(members.indexOf(member), 1);
      return `remove member ${member} from ${group}`;
    },
    async (random: Random) => {
      const dn = g(`N${model.next++}`);
      const member = pick(model.users, random);
      await client.add(dn, groupEntry(model, dn, [member]));
      model.groups.set(dn, [member]);
      await addMember(client, model, pick([g('Selected'), g('G2'), g('Other')], random), dn);
      return `add group ${dn}`;
    },
  ];
}
