/**
 * Member search filters with the server's semantics, on a real slapd serving AD's schema (the patched msuser.schema;
 * OpenLDAP implements AD's integerBitAndMatch 1.2.840.113556.1.4.803): what Roster selects must be exactly what
 * the server selects, found with a few batched searches rather than one per member.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readDirectory } from '../../src/directory/read.js';
import { MEMBER_VALUES_PER_SEARCH } from '../../src/directory/member-search.js';
import { ldifEntry } from '../helpers/ldif.js';
import { activeDirectorySettings } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const BASE = 'DC=corp,DC=example';
const STAFF = `OU=Staff,${BASE}`;
const USERS = 450;
/** userAccountControl values: enabled, enabled + DONT_EXPIRE_PASSWORD, disabled, disabled bit alone, locked-out bit. */
const UAC = [512, 66048, 514, 2, 528];

const sam = (index: number) => `u${String(index).padStart(3, '0')}`;

function fixture(): string {
  const entries = [ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'corp', o: 'Corp' }), ldifEntry(STAFF, { objectClass: 'organizationalUnit', ou: 'Staff' })];
  const members: string[] = ['ghost', 'U005', 'u006 '];
  for (let index = 0; index < USERS; index++) {
    entries.push(
      ldifEntry(`CN=User ${index},${STAFF}`, {
        objectClass: ['top', 'person', 'organizationalPerson', 'user', 'posixAccount'],
        cn: `User ${index}`,
        sn: 'User',
        sAMAccountName: sam(index),
        uid: sam(index),
        uidNumber: index * 7,
        gidNumber: 100,
        homeDirectory: `/home/${sam(index)}`,
        userAccountControl: UAC[index % UAC.length],
      }),
    );
    members.push(sam(index));
  }
  entries.push(ldifEntry(`CN=Archive,${BASE}`, { objectClass: 'posixGroup', cn: 'Archive', gidNumber: 5000, memberUid: members }));
  // Members as DNs, spelled unlike the entries' DNs (case, escaping), and one DN that names nothing.
  const dnMembers = Array.from({ length: 20 }, (_, index) => `cn=user ${index},ou=STAFF,dc=corp,dc=example`).concat(`CN=Nobody,${STAFF}`);
  entries.push(ldifEntry(`CN=DN Archive,${BASE}`, { objectClass: ['top', 'group'], cn: 'DN Archive', member: dnMembers }));
  return entries.join('\n');
}

let directory: TestDirectory;

before(async () => {
  directory = await startDirectory({ flavor: 'ad', baseDn: BASE, ldif: fixture(), serviceSizeLimit: 1000 });
});
after(stopAllDirectories);

/** The sAMAccountNames the server itself selects with `filter` (ldapsearch, paged). */
function serverSelects(filter: string): string[] {
  const output = execFileSync(
    '/usr/bin/ldapsearch',
    [
      '-x',
      '-LLL',
      '-E',
      'pr=500/noprompt',
      '-H',
      `ldap://127.0.0.1:${directory.port}`,
      '-D',
      directory.serviceDn,
      '-w',
      directory.servicePassword,
      '-b',
      BASE,
      filter,
      'sAMAccountName',
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  return [...output.matchAll(/^sAMAccountName: (.*)$/gm)].map((match) => match[1]!).sort();
}

/** Search requests slapd logged whose filter contains `marker`. */
function searchesWith(marker: string): number {
  return readFileSync(directory.logFile, 'utf8')
    .split('\n')
    .filter((line) => / SRCH base=/.test(line) && line.includes(marker)).length;
}

function settings(memberSearchFilter: string, groups: Record<string, unknown> = { filter: '(objectClass=posixGroup)', members: 'memberUid', groups: ['Archive'] }) {
  return activeDirectorySettings(directory, { users: { userName: 'sAMAccountName' }, groups: { ...groups, memberSearchFilter } });
}

describe('member search filters evaluated with the server semantics', () => {
  it("excludes disabled accounts exactly as the server's bit-and matching rule does, in batched searches", async () => {
    const before = searchesWith('1.2.840.113556.1.4.803');
    const snapshot = await readDirectory(settings('(&(objectClass=user)(sAMAccountName={member})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))'));
    const searches = searchesWith('1.2.840.113556.1.4.803') - before;
    const selected = snapshot.users.map((user) => user.userName).sort();
    const expected = serverSelects('(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))');
    assert.deepEqual(selected, expected);
    // 450 users, 2 of 5 disabled (514 and the bare bit 2): 270 enabled, "U005" and "u006 " resolve like u005, u006.
    assert.equal(selected.length, 270);
    assert.ok(!selected.includes('u002') && !selected.includes('u003') && selected.includes('u004'));
    assert.equal(searches, Math.ceil((USERS + 1) / MEMBER_VALUES_PER_SEARCH), 'distinct member values (450 users + ghost) in batches');
    assert.ok(snapshot.warnings.some((warning) => /member 'ghost' of group 'Archive' matched no entry/.test(warning)));
  });

  it('leaves >= to the server (integer ordering), not to a guess between numeric and string order', async () => {
    const snapshot = await readDirectory(settings('(&(objectClass=posixAccount)(uid={member})(uidNumber>=1000))'));
    const selected = snapshot.users.map((user) => user.userName).sort();
    assert.deepEqual(selected, serverSelects('(&(objectClass=posixAccount)(uidNumber>=1000))'));
    // 143 * 7 = 1001: users 143..449 in integer order; string order would also have taken u002 ("14" >= "1000").
    assert.equal(selected.length, USERS - 143);
  });

  it('keeps the OpenLDAP-style template in memory: no member search reaches the server', async () => {
    const before = searchesWith('(|(uid=');
    const snapshot = await readDirectory(settings('(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))'));
    assert.equal(snapshot.users.length, USERS);
    assert.equal(searchesWith('(|(uid=') - before, 0);
  });

  it('resolves members given as DNs through entryDN (distinguishedNameMatch, RFC 5020) with the bit-and rule on the server', async () => {
    const snapshot = await readDirectory(
      settings('(&(objectClass=user)(entryDN={member})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))', {
        filter: '(objectClass=group)',
        members: 'member',
        groups: ['DN Archive'],
      }),
    );
    const selected = snapshot.users.map((user) => user.userName).sort();
    const enabled = new Set(serverSelects('(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))'));
    assert.deepEqual(
      selected,
      Array.from({ length: 20 }, (_, index) => sam(index))
        .filter((name) => enabled.has(name))
        .sort(),
    );
    assert.equal(selected.length, 12);
    assert.ok(snapshot.warnings.some((warning) => /CN=Nobody/.test(warning)));
  });
});
