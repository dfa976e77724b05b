/**
 * A large OpenLDAP directory for benchmarks: N users under ou=people and G teams, each team present twice, as a
 * groupOfNames with DN members and as a posixGroup with memberUid, all nested under one top group per variant
 * ("All Teams" / "All POSIX Teams") so a selection of that one group reaches every user through nesting.
 */
import { ldifEntry } from '../test/helpers/ldif.js';

export const BENCH_BASE = 'dc=bench,dc=example';
const PEOPLE = `ou=people,${BENCH_BASE}`;
const GROUPS = `ou=groups,${BENCH_BASE}`;
// One precomputed hash: hashing 100,000 salted passwords would dominate the set-up for nothing.
const PASSWORD_HASH = '{SSHA}2r7Vcl2yoaRpz+ci3uF2fS3ps2ViZW5jaHNsdA=='; // Bench-Password-1

export function benchUserName(index: number): string {
  return `u${String(index).padStart(6, '0')}`;
}

export function benchLdif(users: number, groups: number): string {
  const parts = [
    ldifEntry(BENCH_BASE, { objectClass: ['dcObject', 'organization'], dc: 'bench', o: 'Bench' }),
    ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
    ldifEntry(GROUPS, { objectClass: 'organizationalUnit', ou: 'groups' }),
  ];
  for (let i = 1; i <= users; i++) {
    const uid = benchUserName(i);
    parts.push(
      `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: ${uid}\ncn: User ${i}\nsn: ${i}\ndisplayName: User ${i}\nmail: ${uid}@bench.example\nmail: ${uid}.alias@bench.example\nuidNumber: ${100000 + i}\ngidNumber: 100\nhomeDirectory: /home/${uid}\nuserPassword: ${PASSWORD_HASH}\n`,
    );
  }
  const perGroup = Math.ceil(users / groups);
  const teamNames: string[] = [];
  for (let g = 0; g < groups; g++) {
    const name = `team-${String(g + 1).padStart(4, '0')}`;
    teamNames.push(name);
    const members: string[] = [];
    for (let i = g * perGroup + 1; i <= Math.min(users, (g + 1) * perGroup); i++) members.push(benchUserName(i));
    parts.push(ldifEntry(`cn=${name},${GROUPS}`, { objectClass: 'groupOfNames', cn: name, member: members.map((uid) => `uid=${uid},${PEOPLE}`) }));
    parts.push(ldifEntry(`cn=p${name},${GROUPS}`, { objectClass: 'posixGroup', cn: `p${name}`, gidNumber: 20000 + g, memberUid: members }));
  }
  parts.push(ldifEntry(`cn=All Teams,${GROUPS}`, { objectClass: 'groupOfNames', cn: 'All Teams', member: teamNames.map((name) => `cn=${name},${GROUPS}`) }));
  parts.push(ldifEntry(`cn=All POSIX Teams,${GROUPS}`, { objectClass: 'posixGroup', cn: 'All POSIX Teams', gidNumber: 19999, memberUid: teamNames.map((name) => `p${name}`) }));
  return parts.join('\n');
}
