/**
 * Issue 14's equivalence test: random sequences of directory changes (adds, deletes, modifies, renames, moves,
 * member additions and removals at any nesting depth, filter-relevant attribute changes); after each, an
 * incremental run on one store and a full run on another that went through the same history must leave identical
 * users, groups and memberships. On SQLite and PostgreSQL, against slapd with syncprov.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AdminClient as Client } from '../helpers/ldap-admin.js';
import type { DirectorySettings } from '../../src/config/schema.js';
import { isRosterError } from '../../src/errors.js';
import { listUsers } from '../../src/store/users.js';
import { runSync } from '../../src/sync/run.js';
import { ldifEntry } from '../helpers/ldif.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

const BASE = 'dc=equivalence,dc=test';
const OUS = [`ou=people,${BASE}`, `ou=contractors,${BASE}`];
const GROUPS = `ou=groups,${BASE}`;
const STEPS = Number(process.env.ROSTER_EQUIVALENCE_STEPS ?? 30);

after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

/** mulberry32: a seeded generator, so a failure can be replayed with ROSTER_EQUIVALENCE_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How groups name their members: DNs in `member` (groupOfNames), or names in `memberUid` resolved by a template. */
interface Variant {
  readonly name: string;
  readonly objectClass: 'groupOfNames' | 'posixGroup';
  readonly attribute: 'member' | 'memberUid';
  /** The value a group lists for the entry `dn` (its DN, or its RDN's value: uid or cn). */
  valueOf(dn: string): string;
  /**
   * slapd keeps a session log: refreshes report deletions (delete phase) instead of the present entries (present
   * phase). One variant each, so both ways of RFC 4533 §3.3.2 are exercised.
   */
  readonly sessionlog: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'DN members, delete phase', objectClass: 'groupOfNames', attribute: 'member', valueOf: (dn) => dn, sessionlog: true },
  {
    name: 'memberUid with a {member} template, present phase',
    objectClass: 'posixGroup',
    attribute: 'memberUid',
    valueOf: (dn) => /^[^=]+=([^,]+)/.exec(dn)![1]!,
    sessionlog: false,
  },
];

interface Model {
  variant: Variant;
  users: string[];
  /** Group DN -> the DNs of the entries it lists (as they were when listed: renames leave them stale, as in LDAP). */
  groups: Map<string, string[]>;
  next: number;
}

let gidNumber = 5000;

function groupEntry(model: Model, dn: string, members: string[]): Record<string, string | string[]> {
  const cn = /^cn=([^,]+)/.exec(dn)![1]!;
  const values = members.map((member) => model.variant.valueOf(member));
  return model.variant.objectClass === 'groupOfNames'
    ? { objectClass: 'groupOfNames', cn, member: values }
    : { objectClass: 'posixGroup', cn, gidNumber: String(gidNumber++), memberUid: values };
}

function person(uid: string, ou: string, hidden = false): { dn: string; attributes: Record<string, string | string[]> } {
  return {
    dn: `uid=${uid},${ou}`,
    attributes: {
      objectClass: ['inetOrgPerson', 'posixAccount'],
      uid,
      cn: uid,
      sn: uid,
      uidNumber: String(gidNumber++),
      gidNumber: '100',
      homeDirectory: `/home/${uid}`,
      displayName: `User ${uid}`,
      mail: `${uid}@example.com`,
      ...(hidden ? { description: 'hidden' } : {}),
    },
  };
}

function initialLdif(model: Model): string {
  const entries = [
    ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'equivalence', o: 'Equivalence' }),
    ...OUS.map((dn) => ldifEntry(dn, { objectClass: 'organizationalUnit', ou: /^ou=([^,]+)/.exec(dn)![1] })),
    ldifEntry(GROUPS, { objectClass: 'organizationalUnit', ou: 'groups' }),
  ];
  for (let index = 0; index < 12; index++) {
    const { dn, attributes } = person(`u${index}`, OUS[index % 2]!, index === 11);
    model.users.push(dn);
    entries.push(ldifEntry(dn, attributes));
  }
  const u = (index: number) => model.users[index]!;
  model.groups.set(`cn=Selected,${GROUPS}`, [`cn=G1,${GROUPS}`, u(0), u(1)]);
  model.groups.set(`cn=G1,${GROUPS}`, [`cn=G2,${GROUPS}`, u(2), u(3)]);
  model.groups.set(`cn=G2,${GROUPS}`, [u(4), u(5), u(11)]);
  model.groups.set(`cn=Other,${GROUPS}`, [u(6), u(7)]);
  for (const [dn, members] of model.groups) entries.push(ldifEntry(dn, groupEntry(model, dn, members)));
  return entries.join('\n');
}

type Operation = (client: Client, model: Model, random: () => number) => Promise<string>;

const pick = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)]!;
const replace = (type: string, values: string[]) => ({ operation: 'replace' as const, type, values });

const OPERATIONS: Operation[] = [
  async (client, model, random) => {
    const { dn, attributes } = person(`n${model.next++}`, pick(OUS, random), random() < 0.2);
    await client.add(dn, attributes);
    model.users.push(dn);
    if (random() < 0.6) await addMember(client, model, pick([...model.groups.keys()], random), dn);
    return `add ${dn}`;
  },
  async (client, model, random) => {
    const dn = pick(model.users, random);
    await client.del(dn);
    model.users.splice(model.users.indexOf(dn), 1);
    return `delete ${dn}`;
  },
  async (client, model, random) => {
    const dn = pick(model.users, random);
    await client.modify(dn, random() < 0.5 ? replace('displayName', [`Changed ${model.next++}`]) : replace('mail', random() < 0.3 ? [] : [`m${model.next++}@example.com`]));
    return `modify ${dn}`;
  },
  async (client, model, random) => {
    const dn = pick(model.users, random);
    const [, rest] = /^[^,]+,(.*)$/.exec(dn)!;
    const moved = random() < 0.5;
    const target = moved ? `${dn.split(',')[0]},${OUS.find((ou) => ou !== rest) ?? OUS[0]}` : `uid=r${model.next++},${rest}`;
    if (model.users.includes(target)) return 'rename skipped';
    await client.modifyDN(dn, target);
    model.users[model.users.indexOf(dn)] = target;
    return `${moved ? 'move' : 'rename'} ${dn} -> ${target}`;
  },
  async (client, model, random) => {
    const dn = pick(model.users, random);
    await client.modify(dn, replace('description', random() < 0.5 ? ['hidden'] : []));
    return `toggle filter attribute of ${dn}`;
  },
  async (client, model, random) => {
    const group = pick([...model.groups.keys()], random);
    const candidates = [...model.users, ...[...model.groups.keys()].filter((other) => other !== group)];
    const member = pick(candidates, random);
    await addMember(client, model, group, member);
    return `add member ${member} to ${group}`;
  },
  async (client, model, random) => {
    const group = pick([...model.groups.keys()], random);
    const members = model.groups.get(group)!;
    if (members.length < 2) return 'removal skipped (groupOfNames needs a member)';
    const member = pick(members, random);
    await client.modify(group, { operation: 'delete', type: model.variant.attribute, values: [model.variant.valueOf(member)] });
    members.splice(members.indexOf(member), 1);
    return `remove member ${member} from ${group}`;
  },
  async (client, model, random) => {
    const dn = `cn=N${model.next++},${GROUPS}`;
    const member = pick(model.users, random);
    await client.add(dn, groupEntry(model, dn, [member]));
    model.groups.set(dn, [member]);
    await addMember(client, model, pick([`cn=Selected,${GROUPS}`, `cn=G2,${GROUPS}`, `cn=Other,${GROUPS}`], random), dn);
    return `add group ${dn}`;
  },
];

async function addMember(client: Client, model: Model, group: string, member: string): Promise<void> {
  const members = model.groups.get(group)!;
  const value = model.variant.valueOf(member).toLowerCase();
  if (members.some((existing) => model.variant.valueOf(existing).toLowerCase() === value)) return;
  await client.modify(group, { operation: 'add', type: model.variant.attribute, values: [model.variant.valueOf(member)] });
  members.push(member);
}

async function contents(test: TestStore) {
  const users = (await listUsers(test.store.db)).map((user) => ({
    userName: user.userName,
    fullName: user.fullName,
    emailAddresses: user.emailAddresses,
    dn: user.dn,
    stableId: user.stableId,
    disabled: user.disabled,
    source: user.source,
  }));
  const groups = await test.store.db.selectFrom('groups').select(['dn', 'name', 'description', 'selected', 'members', 'direct_users', 'direct_groups']).orderBy('dn').execute();
  return { users, groups: groups.map((group) => ({ ...group, members: (JSON.parse(group.members) as string[]).sort() })) };
}

async function outcome(test: TestStore, settings: DirectorySettings, full: boolean): Promise<{ refused?: string; mode?: string; modeReason?: string }> {
  try {
    const report = await runSync(test.store, settings, { trigger: 'test', full });
    return { mode: report.mode, ...(report.modeReason ? { modeReason: report.modeReason } : {}) };
  } catch (error) {
    if (!isRosterError(error)) throw error;
    return { refused: error.code };
  }
}

function settingsFor(directory: TestDirectory, variant: Variant): DirectorySettings {
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
  return openLdapSettings(directory, {
    users: { filter: '(&(objectClass=posixAccount)(!(description=hidden)))', userName: 'uid', fullName: 'displayName', emailAddresses: 'mail' },
    groups,
    options: { deleteUsers: true, maxDeletions: 1000 },
  });
}

for (const backend of BACKENDS) {
  describe(`incremental runs equal full runs (${backend})`, () => {
    for (const variant of VARIANTS)
      it(`after each of ${STEPS} random steps of directory changes (${variant.name})`, async () => {
        const seed = Number(process.env.ROSTER_EQUIVALENCE_SEED ?? Date.now() % 100_000);
        const random = generator(seed);
        const model: Model = { variant, users: [], groups: new Map(), next: 0 };
        const directory = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif: initialLdif(model), contentSync: variant.sessionlog ? { sessionlog: 1000 } : {} });
        const settings = settingsFor(directory, variant);
        const incremental = await openTestStore(backend);
        const full = await openTestStore(backend);
        const client = await adminClient(directory);
        try {
          const first = await runSync(incremental.store, settings, { trigger: 'test' });
          assert.deepEqual([first.mode, first.modeReason], ['full', 'first-run']);
          await runSync(full.store, settings, { trigger: 'test', full: true });
          assert.deepEqual(await contents(incremental), await contents(full));
          const history: string[] = [];
          for (let step = 0; step < STEPS; step++) {
            const count = 1 + Math.floor(random() * 3);
            for (let index = 0; index < count; index++) history.push(await pick(OPERATIONS, random)(client, model, random));
            // A guard (no user left in scope) refuses both runs alike; the refused incremental run keeps its cookie.
            const [incrementalRun, fullRun] = [await outcome(incremental, settings, false), await outcome(full, settings, true)];
            assert.equal(incrementalRun.refused, fullRun.refused, `step ${step} (seed ${seed})`);
            if (!incrementalRun.refused) assert.equal(incrementalRun.mode, 'incremental', `step ${step} (seed ${seed}): ${incrementalRun.modeReason}`);
            assert.deepEqual(await contents(incremental), await contents(full), `after step ${step} (seed ${seed}):\n${history.join('\n')}`);
          }
          const scope = await contents(full);
          assert.ok(scope.users.length > 0 && scope.groups.length > 0, 'the runs synchronized something');
        } finally {
          await client.unbind();
          await incremental.store.close();
          await full.store.close();
          await directory.stop();
        }
      });
  });
}
