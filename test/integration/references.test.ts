/**
 * Search continuation references on a real slapd: a subtree of synchronized users replaced by a referral object
 * (RFC 3296 `objectClass: referral`) must delete nobody there, and the run must say which subtree it did not read.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { reportView } from '../../src/web/report-view.js';
import type { SyncReport } from '../../src/sync/report.js';
import { personEntry } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { ldifEntry } from '../helpers/ldif.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const BASE = 'dc=example,dc=com';
const PEOPLE = `ou=people,${BASE}`;
const REMOTE = `ou=remote,${BASE}`;
const REMOTE_USERS = ['rita', 'rolf', 'rosa', 'ruth', 'rudi'];
const REMOTE_REF = `ldap://remote.example.com:389/${REMOTE}`;
// slapd answers with the referral object's DN in the URL and the search's scope added (RFC 4511 §4.5.3).
const REMOTE_URL = `${REMOTE_REF}??sub`;
// What Active Directory answers at a domain root (here as a referral object slapd returns the same way).
const DNS_ZONES = `dc=DomainDnsZones,${BASE}`;
const DNS_ZONES_REF = 'ldap://example.com/DC=DomainDnsZones,DC=example,DC=com';
const DNS_ZONES_URL = `ldap://example.com/${DNS_ZONES}??sub`;

let directory: TestDirectory;
let work: string;

function fixture(): string {
  return [
    ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' }),
    ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
    ldifEntry(REMOTE, { objectClass: 'organizationalUnit', ou: 'remote' }),
    ldifEntry(DNS_ZONES, { objectClass: ['referral', 'extensibleObject'], dc: 'DomainDnsZones', ref: DNS_ZONES_REF }),
    ...['anna', 'ben', 'cleo'].map((uid) => personEntry(uid, { displayName: uid.toUpperCase() })),
    ...REMOTE_USERS.map((uid) => personEntry(uid, { displayName: uid.toUpperCase(), ou: REMOTE })),
  ].join('\n');
}

/** Runs an ldap-utils command as the directory's root DN; -M sends ManageDsaIT (RFC 3296) to handle the referral itself. */
function asAdmin(command: 'ldapadd' | 'ldapdelete', args: string[], input?: string): void {
  execFileSync(`/usr/bin/${command}`, ['-x', '-M', '-H', `ldap://127.0.0.1:${directory.port}`, '-D', directory.adminDn, '-w', directory.adminPassword, ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The remote subtree moves to another server: its users are gone from this one, a referral stands in their place. */
function replaceRemoteByReferral(): void {
  asAdmin('ldapdelete', [...REMOTE_USERS.map((uid) => `uid=${uid},${REMOTE}`), REMOTE]);
  asAdmin('ldapadd', [], ldifEntry(REMOTE, { objectClass: ['referral', 'extensibleObject'], ou: 'remote', ref: REMOTE_REF }));
}

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif: fixture() });
  work = mkdtempSync(join(tmpdir(), 'roster-references-'));
});
after(async () => {
  await stopAllDirectories();
});

type Reference = { url: string; subtree: string; quiet: boolean };
type Report = {
  committed: boolean;
  runId?: number;
  users: { created: unknown[]; deleted: unknown[]; outOfScope: unknown[]; keptUnread: Array<{ userName: string; reason: string }>; unchanged: number };
  references: Reference[];
  warnings: string[];
};

describe('search continuation references', () => {
  it('deletes nobody in a subtree replaced by a referral, and reports the reference in the sync, the preview and the run', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    const file = join(work, 'settings.yaml');
    writeFileSync(file, stringify(openLdapInput(directory, { options: { deleteUsers: true, maxDeletions: 100 } })));
    assert.equal((await runCli([...data, 'directory', 'set', file])).code, 0);

    const first = await runCli([...data, 'directory', 'sync', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const created = JSON.parse(first.stdout) as Report;
    assert.equal(created.users.created.length, 8);
    // AD's DNS partition, with nobody stored there: listed, quietly.
    assert.deepEqual(created.references, [{ url: DNS_ZONES_URL, subtree: DNS_ZONES, quiet: true }]);
    assert.deepEqual(
      created.warnings.filter((warning) => /referred/.test(warning)),
      [],
    );

    replaceRemoteByReferral();

    const preview = await runCli([...data, 'directory', 'test', '--json']);
    assert.equal(preview.code, 0, preview.stderr);
    const previewed = JSON.parse(preview.stdout) as Report;
    assert.equal(previewed.users.deleted.length, 0);
    assert.deepEqual(
      previewed.references.find((reference) => reference.url === REMOTE_URL),
      { url: REMOTE_URL, subtree: REMOTE, quiet: false },
    );

    const second = await runCli([...data, 'directory', 'sync', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const synced = JSON.parse(second.stdout) as Report;
    assert.equal(synced.committed, true);
    assert.equal(synced.users.deleted.length, 0);
    assert.equal(synced.users.outOfScope.length, 0);
    assert.deepEqual(synced.users.keptUnread.map((user) => user.userName).sort(), [...REMOTE_USERS].sort());
    assert.match(synced.users.keptUnread[0]!.reason, /ou=remote,dc=example,dc=com.*ldap:\/\/remote\.example\.com/);
    assert.equal(synced.users.unchanged, 3);
    assert.deepEqual(
      [...synced.references].sort((a, b) => a.url.localeCompare(b.url)),
      [
        { url: DNS_ZONES_URL, subtree: DNS_ZONES, quiet: true },
        { url: REMOTE_URL, subtree: REMOTE, quiet: false },
      ],
    );
    const warning = synced.warnings.find((text) => text.includes(REMOTE_URL));
    assert.match(warning ?? '', /did not read it \(5 stored users living there were kept unchanged\)/);
    assert.ok(!synced.warnings.some((text) => text.includes(DNS_ZONES_URL)), 'the DNS partition stays quiet');

    const users = JSON.parse((await runCli([...data, 'users', 'list', '--json'])).stdout) as Array<{ userName: string; source: string }>;
    assert.deepEqual(
      users
        .filter((user) => user.source === 'directory')
        .map((user) => user.userName)
        .sort(),
      ['anna', 'ben', 'cleo', ...REMOTE_USERS].sort(),
    );

    const run = await runCli([...data, 'directory', 'runs', String(synced.runId), '--json']);
    const record = JSON.parse(run.stdout) as { counts: { deleted: number; keptUnread: number }; references: Reference[] };
    assert.equal(record.counts.deleted, 0);
    assert.equal(record.counts.keptUnread, 5);
    assert.ok(record.references.some((reference) => reference.url === REMOTE_URL && !reference.quiet));
    const human = await runCli([...data, 'directory', 'runs', String(synced.runId)]);
    assert.match(human.stdout, /not read: ou=remote,dc=example,dc=com \(referred to ldap:\/\/remote\.example\.com/);
  });

  // Runs after the test above replaced ou=remote by a referral.
  it('shows the references in the API\'s and the console\'s "Test settings"', async () => {
    const t = await startTestServer();
    try {
      const response = await t.server.inject({
        method: 'POST',
        url: '/api/directory/test',
        headers: { authorization: `Bearer ${t.adminToken}` },
        payload: openLdapInput(directory),
      });
      assert.equal(response.statusCode, 200, response.body);
      const report = response.json() as SyncReport;
      assert.deepEqual(
        report.references.map((reference) => [reference.subtree, reference.quiet]).sort(),
        [
          [REMOTE, false],
          [DNS_ZONES, true],
        ].sort(),
      );
      // The console renders the same report: each subtree with its URL, the quiet one marked as such.
      const page = reportView(report).toString();
      assert.match(page, /Subtrees not read/);
      assert.ok(page.includes(REMOTE) && page.includes(REMOTE_URL) && page.includes(DNS_ZONES_URL));
      assert.match(page, /Active Directory partition; no user lives there/);
    } finally {
      await t.close();
    }
  });
});
