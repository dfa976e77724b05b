/**
 * Roster against a real 389 Directory Server (an instance created by test/helpers/dirsrv.ts on free ports),
 * driven through the CLI: nsUniqueId as the stable id, nsAccountLock as disabled, a per-account size limit
 * (nsSizeLimit) read with paging, groupOfNames and posixGroup, LDAPS with the instance's own CA, a sync, a
 * re-sync after a rename, and logins.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  DS389_BASE,
  DS389_BULK_USERS,
  DS389_PEOPLE,
  DS389_SERVICE_DN,
  DS389_SERVICE_PASSWORD,
  DS389_SIZE_LIMIT,
  DS389_USER_PASSWORD,
  bulkUid,
  ds389Fixture,
} from '../fixtures/dirsrv.js';
import { runCli } from '../helpers/cli.js';
import { dirsrvSkipReason, start389, stopAll389, type DirectoryServer389 } from '../helpers/dirsrv.js';

const skip = dirsrvSkipReason();
if (skip) console.log(`# 389 Directory Server suite skipped: ${skip}`);

let server: DirectoryServer389;
let work: string;

interface ReportUser {
  userName: string;
  fullName: string;
  emailAddresses: string[];
  dn: string;
  disabled: boolean;
  stableId: string;
}
interface Report {
  committed: boolean;
  users: { created: ReportUser[]; updated: Array<{ userName: string; changes: Record<string, { from: unknown; to: unknown }> }>; deleted: unknown[]; unchanged: number };
  warnings: string[];
}

/** The manual's OpenLDAP sample, bound as the service account whose nsSizeLimit is below the number of users. */
function settings(overrides: { connection?: object; users?: object; groups?: object } = {}): object {
  return {
    preset: 'openldap',
    connection: {
      server: `127.0.0.1:${server.port}`,
      administrativeDn: DS389_SERVICE_DN,
      password: DS389_SERVICE_PASSWORD,
      baseDn: DS389_BASE,
      // A page as large as the account's size limit is refused by 389 (see below): one entry fewer.
      pageSize: DS389_SIZE_LIMIT - 1,
      ...overrides.connection,
    },
    users: { ...overrides.users },
    groups: { ...overrides.groups },
    login: { failureResponseMs: 0 },
  };
}

let files = 0;
function settingsFile(content: object): string {
  const file = join(work, `settings-${++files}.yaml`);
  writeFileSync(file, stringify(content));
  return file;
}

async function directoryTest(content: object): Promise<{ code: number; stderr: string; report?: Report }> {
  const result = await runCli(['--data', mkdtempSync(join(work, 'data-')), 'directory', 'test', settingsFile(content), '--json']);
  return { code: result.code, stderr: result.stderr, report: result.code === 0 ? (JSON.parse(result.stdout) as Report) : undefined };
}

const names = (report: Report | undefined) => (report?.users.created ?? []).map((user) => user.userName).sort();

before(
  async () => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), 'roster-389-test-'));
    const started = Date.now();
    server = await start389({ baseDn: DS389_BASE, ldif: ds389Fixture() });
    console.log(`# 389 Directory Server instance created, started and filled (${DS389_BULK_USERS} bulk users) in ${Date.now() - started} ms`);
  },
  { timeout: 300_000 },
);
after(async () => {
  await stopAll389();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a real 389 Directory Server', { skip }, () => {
  it('reads every user past the service account’s nsSizeLimit with paging, nsUniqueId as the stable id, nsAccountLock as disabled', async () => {
    const { code, stderr, report } = await directoryTest(settings());
    assert.equal(code, 0, stderr);
    assert.equal(report!.users.created.length, DS389_BULK_USERS + 4);
    assert.ok(report!.users.created.some((user) => user.userName === bulkUid(DS389_BULK_USERS - 1)));
    const byName = new Map(report!.users.created.map((user) => [user.userName, user]));
    for (const user of byName.values()) assert.match(user.stableId, /^nsUniqueId:[0-9a-f]{8}(-[0-9a-f]{8}){3}$/);
    assert.equal(byName.get('carol')!.disabled, true);
    assert.equal(byName.get('alice')!.disabled, false);
    assert.deepEqual(byName.get('alice')!.emailAddresses, ['alice@example.com']);
    assert.equal(byName.get('alice')!.fullName, 'Alice Archer');
  });

  it('refuses, without committing, a read whose page is as large as the nsSizeLimit (LDAP_SIZE_LIMIT)', async () => {
    // 389 counts a page against the account's size limit and ends a page of exactly that size with result 4.
    const data = mkdtempSync(join(work, 'data-'));
    const result = await runCli(['--data', data, 'directory', 'test', settingsFile(settings({ connection: { pageSize: DS389_SIZE_LIMIT } })), '--json']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[LDAP_SIZE_LIMIT\]/);
    assert.equal(result.stdout, '');
  });

  // The cause here is a page as large as the account's limit: the message (src/ldap/errors.ts) names the way out.
  it('names connection.pageSize as a way out when a paged read stops at the size limit', async () => {
    const result = await runCli(['--data', mkdtempSync(join(work, 'data-')), 'directory', 'test', settingsFile(settings({ connection: { pageSize: DS389_SIZE_LIMIT } }))]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /connection\.pageSize/);
  });

  it('selects through a groupOfNames with a nested groupOfNames', async () => {
    const { code, stderr, report } = await directoryTest(
      settings({ groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['MailStore Users'] } }),
    );
    assert.equal(code, 0, stderr);
    assert.deepEqual(names(report), ['alice', 'bob', 'carol', 'dave']);
  });

  it('selects through a posixGroup with memberUid and the manual’s member search filter', async () => {
    const { code, stderr, report } = await directoryTest(settings({ groups: { groups: ['unix-staff'] } }));
    assert.equal(code, 0, stderr);
    assert.deepEqual(names(report), ['alice', 'dave']);
  });

  it('reads over LDAPS and StartTLS trusting the instance’s CA, and refuses LDAPS without it (LDAP_TLS_UNTRUSTED)', async () => {
    const tls = { server: `localhost:${server.tlsPort}`, protocol: 'ldap-ssl' };
    const trusted = await directoryTest(settings({ connection: { ...tls, caCertificate: server.caFile }, groups: { groups: ['unix-staff'] } }));
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.deepEqual(names(trusted.report), ['alice', 'dave']);
    const untrusted = await directoryTest(settings({ connection: tls, groups: { groups: ['unix-staff'] } }));
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /\[LDAP_TLS_UNTRUSTED\]/);
    const startTls = await directoryTest(
      settings({ connection: { server: `localhost:${server.port}`, protocol: 'ldap-tls', caCertificate: server.caFile }, groups: { groups: ['unix-staff'] } }),
    );
    assert.equal(startTls.code, 0, startTls.stderr);
    assert.deepEqual(names(startTls.report), ['alice', 'dave']);
  });
});

describe('synchronizing with and logging on to a real 389 Directory Server', { skip }, () => {
  let data: string;
  const cli = (args: string[], input?: string) => runCli(['--data', data, ...args], input === undefined ? {} : { input });
  const login = (name: string) => cli(['login', name, '--password-stdin'], `${DS389_USER_PASSWORD}\n`);

  before(async () => {
    if (skip) return;
    data = mkdtempSync(join(work, 'sync-'));
    const set = await cli([
      'directory',
      'set',
      settingsFile(settings({ groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['MailStore Users'] } })),
    ]);
    assert.equal(set.code, 0, set.stderr);
  });

  it('synchronizes, then keeps the user (same nsUniqueId) through a rename in the directory', async () => {
    const first = await cli(['directory', 'sync', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const created = (JSON.parse(first.stdout) as Report).users.created;
    assert.deepEqual(created.map((user) => user.userName).sort(), ['alice', 'bob', 'carol', 'dave']);
    const aliceId = created.find((user) => user.userName === 'alice')!.stableId;

    // modrdn: a new RDN (and uid), the old one removed; 389's referential integrity is off, so the group is fixed too.
    server.modify(
      `dn: uid=alice,${DS389_PEOPLE}\nchangetype: modrdn\nnewrdn: uid=alice.archer\ndeleteoldrdn: 1\n\n` +
        `dn: cn=MailStore Users,ou=groups,${DS389_BASE}\nchangetype: modify\ndelete: member\nmember: uid=alice,${DS389_PEOPLE}\n-\nadd: member\nmember: uid=alice.archer,${DS389_PEOPLE}\n`,
    );
    const second = await cli(['directory', 'sync', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as Report;
    assert.deepEqual(report.users.created, []);
    assert.deepEqual(report.users.deleted, []);
    assert.equal(report.users.updated.length, 1);
    assert.deepEqual(report.users.updated[0]!.changes.userName, { from: 'alice', to: 'alice.archer' });

    // Directory users only: the CLI creates an administrator (a manual user) when none is enabled.
    const listed = JSON.parse((await cli(['users', 'list', '--json'])).stdout) as Array<{ userName: string; source: string }>;
    assert.deepEqual(
      listed
        .filter((user) => user.source === 'directory')
        .map((user) => user.userName)
        .sort(),
      ['alice.archer', 'bob', 'carol', 'dave'],
    );
    const renamed = JSON.parse((await cli(['users', 'show', 'alice.archer', '--json'])).stdout) as { stableId: string; dn: string };
    assert.equal(renamed.stableId, aliceId);
    assert.equal(renamed.dn, `uid=alice.archer,${DS389_PEOPLE}`);
  });

  it('logs the renamed user on with their directory password', async () => {
    const result = await login('alice.archer');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).userName, 'alice.archer');
  });

  it('refuses a user disabled by nsAccountLock before Roster knew (AUTH_REJECTED), and says why in the log', async () => {
    server.modify(`dn: uid=dave,${DS389_PEOPLE}\nchangetype: modify\nreplace: nsAccountLock\nnsAccountLock: true\n`);
    const result = await login('dave');
    assert.equal(result.code, 1);
    // 389 answers the bind of an inactivated account with unwillingToPerform (53), not invalidCredentials.
    assert.match(result.stderr, /Invalid user name or password\. \[AUTH_REJECTED\]/);
    const log = readFileSync(join(data, 'roster.log'), 'utf8');
    assert.match(log, /"userName":"dave".*refused the bind.*unwilling to perform \(53\)/i);
    assert.doesNotMatch(log, new RegExp(DS389_USER_PASSWORD));
  });

  it('refuses a user locked in the directory and in Roster (carol, nsAccountLock since the first sync)', async () => {
    const result = await login('carol');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[AUTH_REJECTED\]/);
  });
});
