/**
 * Roster against a real Active Directory domain controller (Samba AD DC in its own network namespace, see
 * test/helpers/samba.ts), driven through the CLI run inside that namespace, with the manual's Active Directory
 * sample. One domain is provisioned for the whole file; the tests that change it (logins) come last.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  SAMBA_ADMIN_PASSWORD,
  SAMBA_BASE,
  SAMBA_REALM,
  SAMBA_SERVICE_PASSWORD,
  SAMBA_SERVICE_UPN,
  SAMBA_USER_PASSWORD,
  sambaSkipReason,
  startSambaDomain,
  stopAllSambaDomains,
  type SambaDomain,
} from '../helpers/samba.js';
import { equivalenceSeed } from '../helpers/equivalence.js';
import { POSTGRES } from '../helpers/store.js';
import { Store } from '../../src/store/store.js';

const BULK_USERS = 1600;
const skip = sambaSkipReason();
if (skip) console.log(`# Samba AD DC suite skipped: ${skip}`);

let domain: SambaDomain;
let work: string;

interface Report {
  users: { created: Array<{ userName: string; fullName: string; emailAddresses: string[]; dn: string; disabled: boolean }> };
  groups: Array<{ name: string; members: number }>;
  warnings: string[];
  directory: { baseDn: string };
  references?: unknown;
}

/** The manual's "Configuration Samples → Active Directory", verbatim but for the server's address. */
function manualSample(overrides: { connection?: object; users?: object; groups?: object } = {}): object {
  return {
    preset: 'active-directory',
    connection: { server: '127.0.0.1', protocol: 'ldap', administrativeDn: SAMBA_SERVICE_UPN, password: SAMBA_SERVICE_PASSWORD, baseDn: '', ...overrides.connection },
    users: { filter: '(objectCategory=User)', userName: 'userPrincipalName', localPartOnly: false, fullName: 'displayName', emailAddresses: 'proxyAddresses', ...overrides.users },
    groups: { filter: '(objectCategory=Group)', name: 'cn', description: 'description', members: 'member', groups: ['MailStore Users'], ...overrides.groups },
    login: { failureResponseMs: 0 },
  };
}

let files = 0;
function settingsFile(settings: object): string {
  const file = join(work, `settings-${++files}.yaml`);
  writeFileSync(file, stringify(settings));
  return file;
}

/** `roster directory test FILE --json` inside the domain's namespace; asserts success and returns the report. */
async function testSettings(settings: object): Promise<Report> {
  const result = await domain.namespace.roster(['--data', mkdtempSync(join(work, 'data-')), 'directory', 'test', settingsFile(settings), '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Report;
}

const names = (report: Report) => report.users.created.map((user) => user.userName).sort();

before(
  async () => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), 'roster-samba-test-'));
    const started = Date.now();
    domain = await startSambaDomain({ bulkUsers: BULK_USERS });
    console.log(`# Samba AD DC provisioned, filled (${BULK_USERS} bulk users) and started in ${Date.now() - started} ms`);
  },
  { timeout: 300_000 },
);
after(async () => {
  await stopAllSambaDomains();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a real Active Directory (Samba AD DC)', { skip }, () => {
  it("reads the manual's sample: UPN bind, base DN from the root DSE, (objectCategory=User), nested groups with a cycle, proxyAddresses, a disabled account", async () => {
    const report = await testSettings(manualSample());
    assert.equal(report.directory.baseDn, SAMBA_BASE);
    // bob is in Sales, nested in MailStore Users (which is in Sales again); hank is in no selected group.
    assert.deepEqual(
      names(report),
      ['alice', 'bob', 'dave', 'erin', 'frank', 'gina'].map((name) => `${name}@${SAMBA_REALM}`),
    );
    const alice = report.users.created.find((user) => user.userName.startsWith('alice'))!;
    assert.equal(alice.fullName, 'Alice Archer');
    assert.deepEqual(alice.emailAddresses, ['Alice@Corp.Example.com', 'alice.archer@corp.example.com']);
    assert.equal(alice.dn, `CN=Alice Archer,OU=Staff,${SAMBA_BASE}`);
    const dave = report.users.created.find((user) => user.userName.startsWith('dave'))!;
    assert.equal(dave.disabled, true);
    assert.equal(alice.disabled, false);
  });

  it('cuts the userPrincipalName to its local part with localPartOnly', async () => {
    const report = await testSettings(manualSample({ users: { localPartOnly: true } }));
    assert.deepEqual(names(report), ['alice', 'bob', 'dave', 'erin', 'frank', 'gina']);
  });

  it('passes over the continuation reference Samba returns at the domain root, and reads every user the server selects', async () => {
    // The server really sends one for a subtree search of the domain root: its Configuration partition
    // (DomainDnsZones and ForestDnsZones exist only with a DNS backend, not with --dns-backend=NONE).
    const raw = domain.namespace.run('/usr/bin/ldapsearch', [...domain.adminArgs, '-b', SAMBA_BASE, '(objectCategory=User)', 'dn']);
    assert.match(raw, /^ref: ldap:\/\/corp\.example\.com\/CN=Configuration,DC=corp,DC=example,DC=com$/m);
    const report = await testSettings(manualSample({ groups: { groups: [] } }));
    const withUpn = domain.searchDns('(&(objectCategory=User)(userPrincipalName=*))');
    assert.deepEqual(report.users.created.map((user) => user.dn).sort(), withUpn.sort());
    assert.ok(report.users.created.length > BULK_USERS);
    // The built-in accounts (Administrator, Guest, krbtgt) have no userPrincipalName: skipped, each with a warning.
    const withoutUpn = domain.searchDns('(&(objectCategory=User)(!(userPrincipalName=*)))');
    assert.ok(withoutUpn.length >= 3);
    for (const dn of withoutUpn) assert.ok(report.warnings.includes(`entry ${dn} has no userPrincipalName value and was skipped`), dn);
    // No alarm: it is AD's own partition, where no user of this domain lives.
    assert.deepEqual(
      report.warnings.filter((warning) => /refer/i.test(warning)),
      [],
    );
  });

  it('lists the Configuration reference in the report, quietly', async () => {
    const report = await testSettings(manualSample());
    assert.deepEqual(report.references, [{ url: `ldap://${SAMBA_REALM}/CN=Configuration,${SAMBA_BASE}`, subtree: `CN=Configuration,${SAMBA_BASE}`, quiet: true }]);
    assert.deepEqual(
      report.warnings.filter((warning) => /configuration|refer/i.test(warning)),
      [],
    );
  });

  it('reads a group of more than 1,500 members whole', async () => {
    const report = await testSettings(manualSample({ groups: { groups: ['Everyone Bulk'] } }));
    assert.equal(report.users.created.length, BULK_USERS + 1);
    assert.ok(report.users.created.some((user) => user.userName === `bulk${String(BULK_USERS - 1).padStart(5, '0')}@${SAMBA_REALM}`));
    assert.equal(report.groups.find((group) => group.name === 'Everyone Bulk')?.members, BULK_USERS + 1);
    // Samba, unlike Windows (MaxValRange 1500), returns a plain `member` whole; it does answer the ranged form
    // Roster asks for the rest (`member;range=1500-*`), the last chunk ending in `*`.
    const ranged = domain.namespace.run('/usr/bin/ldapsearch', [
      ...domain.adminArgs,
      '-LLL',
      '-o',
      'ldif-wrap=no',
      '-b',
      `CN=Everyone Bulk,OU=Groups,${SAMBA_BASE}`,
      '-s',
      'base',
      '(objectClass=*)',
      'member;range=1500-*',
    ]);
    assert.equal(ranged.split('\n').filter((line) => line.startsWith('member;range=1500-*: ')).length, BULK_USERS + 1 - 1500);
  });

  it('fetches every range of a big group from the server, as it must from a Windows DC (member;range=1500-*)', async () => {
    const groupDn = `CN=Everyone Bulk,OU=Groups,${SAMBA_BASE}`;
    const script = fileURLToPath(new URL('../fixtures/samba-ranged-read.ts', import.meta.url));
    const result = await domain.namespace.spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(manualSample()), groupDn]);
    assert.equal(result.code, 0, result.stderr);
    const { firstChunk, values } = JSON.parse(result.stdout) as { firstChunk: string[]; values: string[] };
    assert.deepEqual(firstChunk, ['member;range=0-1499']);
    assert.equal(values.length, BULK_USERS + 1);
    assert.equal(new Set(values.map((value) => value.toLowerCase())).size, BULK_USERS + 1);
    assert.deepEqual(new Set(values), new Set(domain.searchDns(`(memberOf=${groupDn})`)));
  });

  it("refuses LDAPS with Samba's self-signed certificate (LDAP_TLS_UNTRUSTED), and accepts it with ignoreSslWarnings", async () => {
    const refused = await domain.namespace.roster([
      '--data',
      mkdtempSync(join(work, 'data-')),
      'directory',
      'test',
      settingsFile(manualSample({ connection: { protocol: 'ldap-ssl' } })),
      '--json',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[LDAP_TLS_UNTRUSTED\]/);
    for (const protocol of ['ldap-ssl', 'ldap-tls']) {
      const report = await testSettings(manualSample({ connection: { protocol, ignoreSslWarnings: true } }));
      assert.equal(report.users.created.length, 6, protocol);
    }
  });

  // The negated extensible match cannot be evaluated in memory: it must go to the server (issue #11 item 4).
  it('selects with a member search filter using the matching-rule-bit extensible match exactly what the server selects', async () => {
    // "Unix Staff" lists alice, bob, dave (disabled) and hank by name (memberUid).
    const memberSearchFilter = '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(sAMAccountName={member}))';
    const serverSelection = domain.searchDns(
      '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(sAMAccountName=alice)(sAMAccountName=bob)(sAMAccountName=dave)(sAMAccountName=hank)))',
    );
    assert.equal(serverSelection.length, 3, 'the server leaves the disabled dave out');
    const report = await testSettings(manualSample({ groups: { members: 'memberUid', memberSearchFilter, groups: ['Unix Staff'] } }));
    assert.deepEqual(report.users.created.map((user) => user.dn).sort(), [...serverSelection].sort());
  });
});

describe('logging on to a real Active Directory (Samba AD DC)', { skip }, () => {
  let data: string;
  const login = (name: string, password = SAMBA_USER_PASSWORD) => domain.namespace.roster(['--data', data, 'login', name, '--password-stdin'], { input: `${password}\n` });
  const loggedReasons = () => readFileSync(join(data, 'roster.log'), 'utf8');

  before(async () => {
    if (skip) return;
    data = mkdtempSync(join(work, 'login-'));
    // The manual's "all users with Exchange e-mail addresses", local part of the UPN as user name.
    const file = settingsFile(manualSample({ users: { filter: '(&(objectCategory=User)(proxyAddresses=*))', localPartOnly: true }, groups: { groups: [] } }));
    for (const args of [
      ['directory', 'set', file],
      ['directory', 'sync'],
    ]) {
      const result = await domain.namespace.roster(['--data', data, ...args]);
      assert.equal(result.code, 0, result.stderr);
    }
  });

  it('logs a user on with their directory password (bind found by the UPN local part)', async () => {
    const result = await login('alice');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).userName, 'alice');
  });

  it('maps data 773 (user must change password) to AUTH_MUST_CHANGE_PASSWORD', async () => {
    const result = await login('erin');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[AUTH_MUST_CHANGE_PASSWORD\]/);
    assert.match(loggedReasons(), /AD: password must be changed \(773\)/);
  });

  it('maps data 532 (password expired) to AUTH_PASSWORD_EXPIRED', async () => {
    const result = await login('frank');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[AUTH_PASSWORD_EXPIRED\]/);
    assert.match(loggedReasons(), /AD: password expired \(532\)/);
  });

  it('maps data 775 (account locked out) to AUTH_ACCOUNT_LOCKED, even with the right password', async () => {
    await domain.lockOut('gina');
    const result = await login('gina');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[AUTH_ACCOUNT_LOCKED\]/);
    assert.match(loggedReasons(), /AD: account locked out \(775\)/);
  });

  it('maps data 533 (account disabled in AD after the last sync) to AUTH_REJECTED, and the log says why', async () => {
    domain.modify(`dn: CN=Hank Outside,OU=Staff,${SAMBA_BASE}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`);
    const result = await login('hank');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Invalid user name or password\. \[AUTH_REJECTED\]/);
    assert.match(loggedReasons(), /AD: account disabled \(533\)/);
    assert.doesNotMatch(loggedReasons(), new RegExp(SAMBA_USER_PASSWORD));
  });

  it('maps data 701 (account expired) to AUTH_REJECTED, and the log says why', async () => {
    const result = await login('ivan');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Invalid user name or password\. \[AUTH_REJECTED\]/);
    assert.match(loggedReasons(), /AD: account expired \(701\)/);
  });

  it('refuses a wrong password with AUTH_REJECTED (data 52e)', async () => {
    const result = await login('bob', 'Wrong-Password-9');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[AUTH_REJECTED\]/);
  });
  it('keeps a user renamed in AD (new CN and UPN) by their objectGUID: updated, neither created nor deleted', async () => {
    const bobDn = `CN=Bob Builder,OU=Staff,${SAMBA_BASE}`;
    const raw = domain.namespace.run('/usr/bin/ldapsearch', [...domain.adminArgs, '-LLL', '-b', bobDn, '-s', 'base', '(objectClass=*)', 'objectGUID']);
    const bytes = Buffer.from(/^objectGUID:: (.+)$/m.exec(raw)![1]!, 'base64');
    // MS-DTYP §2.3.4: the first three fields are little-endian on the wire.
    const hex = Buffer.concat([
      Buffer.from(bytes.subarray(0, 4)).reverse(),
      Buffer.from(bytes.subarray(4, 6)).reverse(),
      Buffer.from(bytes.subarray(6, 8)).reverse(),
      bytes.subarray(8),
    ]).toString('hex');
    const guid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const before = JSON.parse((await domain.namespace.roster(['--data', data, 'users', 'show', 'bob', '--json'])).stdout) as { stableId: string };
    assert.equal(before.stableId, `objectGUID:${guid}`);

    domain.modify(
      `dn: ${bobDn}\nchangetype: modrdn\nnewrdn: CN=Robert Builder\ndeleteoldrdn: 1\n\n` +
        `dn: CN=Robert Builder,OU=Staff,${SAMBA_BASE}\nchangetype: modify\nreplace: userPrincipalName\nuserPrincipalName: robert@${SAMBA_REALM}\n`,
    );
    const sync = await domain.namespace.roster(['--data', data, 'directory', 'sync', '--json']);
    assert.equal(sync.code, 0, sync.stderr);
    const report = JSON.parse(sync.stdout) as {
      users: { created: unknown[]; deleted: unknown[]; updated: Array<{ userName: string; changes: Record<string, { from: unknown; to: unknown }> }> };
    };
    assert.deepEqual(report.users.created, []);
    assert.deepEqual(report.users.deleted, []);
    const renamed = report.users.updated.find((user) => user.changes.userName !== undefined);
    assert.deepEqual(renamed?.changes.userName, { from: 'bob', to: 'robert' });
    const after = JSON.parse((await domain.namespace.roster(['--data', data, 'users', 'show', 'robert', '--json'])).stdout) as { stableId: string; dn: string };
    assert.equal(after.stableId, before.stableId);
    assert.equal(after.dn, `CN=Robert Builder,OU=Staff,${SAMBA_BASE}`);
    const login = await domain.namespace.roster(['--data', data, 'login', 'robert', '--password-stdin'], { input: `${SAMBA_USER_PASSWORD}\n` });
    assert.equal(login.code, 0, login.stderr);
  });
});

describe('incremental runs on a real Active Directory (uSNChanged and a present listing)', { skip }, () => {
  let data: string;
  const sync = async (dataDir: string, ...args: string[]) => {
    const result = await domain.namespace.roster(['--data', dataDir, 'directory', 'sync', '--json', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { mode: string; modeReason?: string; users: Record<string, unknown[]>; directory: { pages: number } };
  };
  const usersOf = async (dataDir: string) => {
    const result = await domain.namespace.roster(['--data', dataDir, 'users', 'list', '--json']);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as Array<Record<string, unknown>>).map(({ userName, fullName, emailAddresses, dn, stableId, disabled }) => ({
      userName,
      fullName,
      emailAddresses,
      dn,
      stableId,
      disabled,
    }));
  };
  const fresh = async () => {
    const dir = mkdtempSync(join(work, 'incremental-'));
    const result = await domain.namespace.roster(['--data', dir, 'directory', 'set', settingsFile(manualSample())]);
    assert.equal(result.code, 0, result.stderr);
    return dir;
  };
  const planNextRun = async () => {
    const store = await Store.open({ dataDir: data });
    try {
      await store.db.updateTable('change_tracking').set({ local_mark: 'changed by the test' }).execute();
    } finally {
      await store.close();
    }
  };
  /** The stored change-tracking state's cookies, rewritten by `change` (the store is a file: reached from here). */
  const tamper = async (change: (cookie: Record<string, unknown>) => void) => {
    const store = await Store.open({ dataDir: data });
    try {
      const row = await store.db.selectFrom('change_tracking').select('state').executeTakeFirstOrThrow();
      const state = JSON.parse(row.state) as Record<string, string>;
      for (const field of ['userCookie', 'groupCookie']) {
        const cookie = JSON.parse(Buffer.from(state[field]!, 'base64').toString('utf8')) as Record<string, unknown>;
        change(cookie);
        state[field] = Buffer.from(JSON.stringify(cookie)).toString('base64');
      }
      await store.db
        .updateTable('change_tracking')
        .set({ state: JSON.stringify(state) })
        .execute();
    } finally {
      await store.close();
    }
  };

  before(async () => {
    if (skip) return;
    data = await fresh();
    const first = await sync(data);
    assert.deepEqual([first.mode, first.modeReason], ['full', 'first-run']);
  });

  it('reads changes incrementally (added, renamed, disabled, deleted, new member of a nested group) and ends where a full run does', async () => {
    const staff = `OU=Staff,${SAMBA_BASE}`;
    domain.modify(
      [
        `dn: CN=Nora New,${staff}\nchangetype: add\nobjectClass: user\nsAMAccountName: nora\nuserPrincipalName: nora@${SAMBA_REALM}\ndisplayName: Nora New\nuserAccountControl: 544\n`,
        // Sales is nested in MailStore Users: nora enters the scope through a group that is not selected itself.
        `dn: CN=Sales,OU=Groups,${SAMBA_BASE}\nchangetype: modify\nadd: member\nmember: CN=Nora New,${staff}\n`,
        `dn: CN=Alice Archer,${staff}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`,
        // A member renamed: AD rewrites MailStore Users' value without moving that group's uSNChanged.
        `dn: CN=Erin Expected-Change,${staff}\nchangetype: modrdn\nnewrdn: CN=Erin Renamed\ndeleteoldrdn: 1\n`,
        `dn: CN=bulk00002,OU=Bulk,${SAMBA_BASE}\nchangetype: delete\n`,
      ].join('\n'),
    );
    const report = await sync(data);
    assert.equal(report.mode, 'incremental');
    assert.equal(report.modeReason, undefined);
    const full = await fresh();
    await sync(full, '--full');
    const [incremental, expected] = [await usersOf(data), await usersOf(full)];
    assert.deepEqual(incremental, expected);
    assert.ok(expected.some((user) => user.userName === `nora@${SAMBA_REALM}`));
    assert.ok(expected.some((user) => user.dn === `CN=Erin Renamed,${staff}`));
  });

  it('searches nothing when the DC wrote nothing since the last run (highestCommittedUSN unmoved), and lists after a write elsewhere', async () => {
    await sync(data);
    // A run that skips planning reports 0 pages whatever it read: a changed users' mark makes the run plan and count.
    await planNextRun();
    const unmoved = await sync(data);
    assert.deepEqual([unmoved.mode, unmoved.directory.pages], ['incremental', 0]);
    domain.modify(`dn: OU=Staff,${SAMBA_BASE}\nchangetype: modify\nreplace: description\ndescription: moved\n`);
    await planNextRun();
    const moved = await sync(data);
    assert.equal(moved.mode, 'incremental');
    assert.ok(moved.directory.pages >= 4, `changed search and listing, users and groups: ${moved.directory.pages} pages`);
  });

  it('falls back to a full run (cookie-refused) for a DC whose invocationId changed (restored from backup), and continues incrementally after it', async () => {
    await tamper((cookie) => (cookie.invocationId = Buffer.alloc(16, 7).toString('base64')));
    const refused = await sync(data);
    assert.deepEqual([refused.mode, refused.modeReason], ['full', 'cookie-refused']);
    assert.equal((await sync(data)).mode, 'incremental');
  });

  it("falls back to a full run (cookie-refused) for a stored USN above the DC's highestCommittedUSN, or another DC", async () => {
    await tamper((cookie) => (cookie.usn = String(BigInt(cookie.usn as string) + 1_000_000n)));
    const ahead = await sync(data);
    assert.deepEqual([ahead.mode, ahead.modeReason], ['full', 'cookie-refused']);
    assert.equal((await sync(data)).mode, 'incremental');
    await tamper((cookie) => (cookie.dsServiceName = `CN=NTDS Settings,CN=OTHER-DC,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,${SAMBA_BASE}`));
    const otherDc = await sync(data);
    assert.deepEqual([otherDc.mode, otherDc.modeReason], ['full', 'cookie-refused']);
  });

  // PostgreSQL listens on 127.0.0.1 outside the namespace; its Unix socket is reachable from inside.
  const socketDir = '/var/run/postgresql';
  const postgresInside = (() => {
    const url = new URL(POSTGRES);
    return `postgres://${url.username}@${encodeURIComponent(socketDir)}:${url.port || 5432}${url.pathname}`;
  })();
  const cases = [
    { backend: 'sqlite', steps: Number(process.env.ROSTER_EQUIVALENCE_STEPS ?? 24), skip: false as string | false },
    {
      backend: 'postgres',
      steps: Math.min(12, Number(process.env.ROSTER_EQUIVALENCE_STEPS ?? 12)),
      skip: existsSync(join(socketDir, '.s.PGSQL.5432')) ? (false as const) : `no PostgreSQL socket in ${socketDir}`,
    },
  ];
  for (const { backend, steps, skip: why } of cases)
    it(`equals a full run after each of ${steps} random steps of AD changes (${backend})`, { skip: why }, async () => {
      const script = fileURLToPath(new URL('../fixtures/samba-equivalence.ts', import.meta.url));
      const { connection } = manualSample() as { connection: object };
      const result = await domain.namespace.spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          script,
          JSON.stringify(connection),
          backend,
          `OU=Eq${backend},${SAMBA_BASE}`,
          String(steps),
          String(equivalenceSeed()),
          `Administrator@${SAMBA_REALM}`,
          SAMBA_ADMIN_PASSWORD,
        ],
        { env: { ROSTER_TEST_POSTGRES: postgresInside } },
      );
      assert.equal(result.code, 0, result.stderr.slice(-6000));
    });
});
