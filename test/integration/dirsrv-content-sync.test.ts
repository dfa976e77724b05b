/**
 * RFC 4533 content synchronization on a real 389 Directory Server (Content Synchronization plugin over the Retro
 * Changelog, test/helpers/dirsrv.ts): what it sends, where that departs from the RFC (ContentSyncDialect in
 * src/ldap/content-sync.ts), and incremental runs on it: incremental after a change, full with a reason when the
 * cookie is refused (by the server, or by Roster for a changelog trimmed past it), paged full when the account's
 * size limit stops the unpaged refresh.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { isRosterError } from '../../src/errors.js';
import { openBoundSession } from '../../src/ldap/connect.js';
import { contentSyncDialect, refreshOnly, type RefreshResult } from '../../src/ldap/content-sync.js';
import type { LdapSession } from '../../src/ldap/session.js';
import { loadTracking } from '../../src/store/change-tracking.js';
import { listRuns } from '../../src/store/runs.js';
import { runSync } from '../../src/sync/run.js';
import { DS389_BASE, DS389_GROUPS, DS389_PEOPLE, DS389_SERVICE_DN, DS389_SERVICE_PASSWORD, bulkUid, ds389Fixture } from '../fixtures/dirsrv.js';
import { dirsrvSkipReason, start389, stopAll389, type DirectoryServer389 } from '../helpers/dirsrv.js';
import { storeContents } from '../helpers/equivalence.js';
import { ldifEntry } from '../helpers/ldif.js';
import { dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

const skip = dirsrvSkipReason();
if (skip) console.log(`# 389 Directory Server content-synchronization suite skipped: ${skip}`);

/** The account for content synchronization: no size limit, since the refresh cannot be paged (RFC 4533 §3.1). */
const SYNC_DN = `cn=roster-sync,ou=services,${DS389_BASE}`;
const SYNC_PASSWORD = 'Sync-Secret-1';
const PROTOCOL = `ou=protocol,${DS389_BASE}`;
const USER_FILTER = '(&(objectClass=inetOrgPerson)(!(description=hidden)))';

let server: DirectoryServer389;
let session: LdapSession;

function settings(account: { dn: string; password: string } = { dn: SYNC_DN, password: SYNC_PASSWORD }, pageSize = 499) {
  return validateSettings({
    preset: 'openldap',
    connection: { server: `127.0.0.1:${server.port}`, administrativeDn: account.dn, password: account.password, baseDn: DS389_BASE, pageSize },
    users: { filter: USER_FILTER, userName: 'uid', fullName: 'displayName', emailAddresses: 'mail' },
    groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['MailStore Users'] },
    options: { deleteUsers: true, maxDeletions: 1000 },
  });
}

function protocolPerson(uid: string): string {
  return ldifEntry(`uid=${uid},${PROTOCOL}`, { objectClass: ['top', 'inetOrgPerson'], uid, cn: uid, sn: uid });
}

before(
  async () => {
    if (skip) return;
    const extra = [
      ldifEntry(SYNC_DN, { objectClass: ['top', 'applicationProcess', 'simpleSecurityObject'], cn: 'roster-sync', userPassword: SYNC_PASSWORD, nsSizeLimit: '-1' }),
      ldifEntry(PROTOCOL, { objectClass: ['top', 'organizationalUnit'], ou: 'protocol' }),
      ...['ann', 'ben', 'cat', 'dan', 'eve'].map(protocolPerson),
    ];
    server = await start389({ baseDn: DS389_BASE, ldif: [ds389Fixture(), ...extra].join('\n'), contentSync: true });
    session = await openBoundSession(settings().connection);
  },
  { timeout: 300_000 },
);
after(async () => {
  await session?.close();
  await stopAll389();
  await dropTestSchemas();
});

const request = { base: PROTOCOL, filter: USER_FILTER, attributes: ['uid', 'nsUniqueId'], purpose: 'content synchronization of users' };
const uidsOf = (result: RefreshResult) => [...result.changed.values()].map((entry) => entry.first('uid')).sort();

describe('389 Directory Server content synchronization, as it behaves', { skip }, () => {
  let initial: RefreshResult;
  const uuidOf = (uid: string) => [...initial.changed].find(([, entry]) => entry.first('uid') === uid)![0];

  it('lists the Sync Request control in its root DSE and is known by its vendor', async () => {
    const rootDse = await session.readEntry('', ['supportedControl', 'vendorName', 'vendorVersion'], 'read of the root DSE');
    assert.deepEqual(contentSyncDialect(rootDse), { deletePhaseAfterCookie: true, reportsChangedEntries: false, checkHistory: true, dropsDeletionAfterIdSetOf: 50 });
  });

  it('sends every entry without a cookie, each with its nsUniqueId (dashes removed) as syncUUID', async () => {
    initial = await refreshOnly(session, request, undefined);
    assert.deepEqual(uidsOf(initial), ['ann', 'ben', 'cat', 'dan', 'eve']);
    for (const [uuid, entry] of initial.changed) assert.equal(uuid, entry.first('nsUniqueId')!.replace(/-/g, ''));
    assert.equal(initial.refreshDeletes, false, 'the initial content is a present phase (RFC 4533 §3.3.1)');
    assert.match(initial.cookie!.toString(), /^localhost:\d+#cn=roster-sync,.*#\d+$/, 'server#client#changenumber');
  });

  it('from a cookie: deletions and moves out of the base as a delete phase, yet Sync Done says refreshDeletes FALSE; no leavers, no operational attributes', async () => {
    server.modify(
      [
        `dn: uid=ann,${PROTOCOL}\nchangetype: modify\nreplace: cn\ncn: Ann Changed\n`,
        `dn: uid=ben,${PROTOCOL}\nchangetype: delete\n`,
        `dn: uid=cat,${PROTOCOL}\nchangetype: modify\nadd: description\ndescription: hidden\n`,
        `dn: uid=dan,${PROTOCOL}\nchangetype: modrdn\nnewrdn: uid=dan2\ndeleteoldrdn: 1\n`,
        `dn: uid=eve,${PROTOCOL}\nchangetype: modrdn\nnewrdn: uid=eve\ndeleteoldrdn: 1\nnewsuperior: ou=services,${DS389_BASE}\n`,
      ].join('\n'),
    );
    // As RFC 4533 is written (no dialect): §3.3.2 would now make every unchanged entry gone.
    const literal = await refreshOnly(session, request, initial.cookie);
    assert.equal(literal.refreshDeletes, false);
    assert.equal(literal.present.size, 0, 'no present phase');
    assert.deepEqual(uidsOf(literal), ['ann', 'dan2'], 'the change and the rename (new DN), not cat, which left the filter');
    assert.deepEqual([...literal.deleted].sort(), [uuidOf('ben'), uuidOf('eve')].sort(), 'the deletion and the move out of the base');
    assert.equal(literal.changed.get(uuidOf('ann'))!.first('cn'), 'Ann Changed');
    assert.equal(literal.changed.get(uuidOf('ann'))!.first('nsUniqueId'), undefined, 'nsUniqueId was asked for but is not sent');
    assert.ok(!literal.changed.has(uuidOf('cat')) && !literal.deleted.has(uuidOf('cat')), 'cat left the filter unreported');
    const read = await refreshOnly(session, request, initial.cookie, contentSyncDialect(await session.readEntry('', ['supportedControl', 'vendorName'], 'root DSE')));
    assert.equal(read.refreshDeletes, true, 'read as the delete phase it is');
  });

  it('drops the deletion that finds a syncIdSet of 50 full (51 deletions, 50 reported), and says a deletion may be missing', async () => {
    const many = `ou=many,${DS389_BASE}`;
    const uids = Array.from({ length: 51 }, (_, index) => `m${index}`);
    server.modify(
      [
        ldifEntry(many, { objectClass: ['top', 'organizationalUnit'], ou: 'many' }),
        ...uids.map((uid) => ldifEntry(`uid=${uid},${many}`, { objectClass: ['top', 'inetOrgPerson'], uid, cn: uid, sn: uid })),
      ].join('\n'),
    );
    const manyRequest = { ...request, base: many };
    const before = await refreshOnly(session, manyRequest, undefined);
    assert.equal(before.changed.size, 51);
    server.modify(uids.map((uid) => `dn: uid=${uid},${many}\nchangetype: delete\n`).join('\n'));
    const literal = await refreshOnly(session, manyRequest, before.cookie);
    assert.equal(literal.deleted.size, 50, 'one of the 51 deletions is not reported');
    assert.equal(literal.deletionsMayBeMissing, false, 'no dialect, no suspicion');
    const read = await refreshOnly(session, manyRequest, before.cookie, contentSyncDialect(await session.readEntry('', ['supportedControl', 'vendorName'], 'root DSE')));
    assert.equal(read.deletionsMayBeMissing, true);
  });

  it('refuses a cookie of another server, search or account with e-syncRefreshRequired (SYNC_COOKIE_REFUSED)', async () => {
    const cookie = initial.cookie!.toString();
    const refused = (error: unknown) => isRosterError(error, 'SYNC_COOKIE_REFUSED');
    await assert.rejects(() => refreshOnly(session, request, Buffer.from(cookie.replace(/^[^#]+/, 'otherhost:389'))), refused);
    await assert.rejects(() => refreshOnly(session, { ...request, filter: '(objectClass=inetOrgPerson)' }, initial.cookie), refused);
    await assert.rejects(() => refreshOnly(session, request, Buffer.from('not a cookie')), refused);
    await assert.rejects(() => refreshOnly(session, request, Buffer.from(cookie.replace(/#\d+$/, '#99999999'))), refused);
  });
});

describe('incremental runs on 389 Directory Server', { skip }, () => {
  let incremental: TestStore;
  let full: TestStore;
  before(async () => {
    if (skip) return;
    incremental = await openTestStore('sqlite');
    full = await openTestStore('sqlite');
  });
  after(async () => {
    await incremental?.store.close();
    await full?.store.close();
  });
  const sync = (test: TestStore, options: { full?: boolean } = {}) => runSync(test.store, settings(), { trigger: 'test', ...options });
  const bothRuns = async () => {
    const report = await sync(incremental);
    await sync(full, { full: true });
    assert.deepEqual(await storeContents(incremental), await storeContents(full));
    return report;
  };

  it('runs incrementally after the first run: a nested member added, a user leaving the filter, a rename, a deletion, a change', async () => {
    const first = await bothRuns();
    assert.deepEqual([first.mode, first.modeReason], ['full', 'first-run']);
    assert.deepEqual(first.users.created.map((user) => user.userName).sort(), ['alice', 'bob', 'carol', 'dave']);
    server.modify(
      [
        `dn: cn=Staff,${DS389_GROUPS}\nchangetype: modify\nadd: member\nmember: uid=${bulkUid(5)},${DS389_PEOPLE}\n`,
        `dn: uid=bob,${DS389_PEOPLE}\nchangetype: modify\nadd: description\ndescription: hidden\n`,
        `dn: uid=dave,${DS389_PEOPLE}\nchangetype: modrdn\nnewrdn: uid=david\ndeleteoldrdn: 1\n`,
        `dn: cn=MailStore Users,${DS389_GROUPS}\nchangetype: modify\ndelete: member\nmember: uid=dave,${DS389_PEOPLE}\n-\nadd: member\nmember: uid=david,${DS389_PEOPLE}\n`,
        `dn: uid=carol,${DS389_PEOPLE}\nchangetype: delete\n`,
        `dn: uid=alice,${DS389_PEOPLE}\nchangetype: modify\nreplace: displayName\ndisplayName: Alice Changed\n`,
      ].join('\n'),
    );
    const report = await bothRuns();
    assert.equal(report.mode, 'incremental', report.modeReason);
    assert.deepEqual(
      report.users.created.map((user) => user.userName),
      [bulkUid(5)],
    );
    assert.deepEqual(report.users.deleted.map((user) => user.userName).sort(), ['bob', 'carol']);
    assert.deepEqual(report.users.updated.map((user) => user.userName).sort(), ['alice', 'dave']);
    assert.deepEqual(report.users.updated.find((user) => user.userName === 'dave')!.changes.userName, { from: 'dave', to: 'david' });
    const quiet = await sync(incremental);
    assert.deepEqual([quiet.mode, quiet.users.created.length, quiet.users.updated.length, quiet.users.deleted.length], ['incremental', 0, 0, 0]);
  });

  it('deletes all of 51 users deleted at once, although 389 reports 50 of the deletions', async () => {
    const uids = Array.from({ length: 51 }, (_, index) => bulkUid(100 + index));
    server.modify(`dn: cn=Staff,${DS389_GROUPS}\nchangetype: modify\nadd: member\n${uids.map((uid) => `member: uid=${uid},${DS389_PEOPLE}`).join('\n')}\n`);
    const added = await bothRuns();
    assert.deepEqual([added.mode, added.users.created.length], ['incremental', 51]);
    server.modify(uids.map((uid) => `dn: uid=${uid},${DS389_PEOPLE}\nchangetype: delete\n`).join('\n'));
    const report = await bothRuns();
    assert.equal(report.mode, 'incremental', report.modeReason);
    assert.deepEqual(report.users.deleted.map((user) => user.userName).sort(), uids);
  });

  it('falls back to a full run when the server refuses the stored cookie (another server’s), and says so', async () => {
    const stored = (await loadTracking(incremental.store.db))!;
    const state = JSON.parse(stored.state) as { changeCookie: string };
    const foreign = Buffer.from(state.changeCookie, 'base64')
      .toString()
      .replace(/^[^#]+/, 'otherhost:389');
    await incremental.store.db
      .updateTable('change_tracking')
      .set({ state: JSON.stringify({ ...state, changeCookie: Buffer.from(foreign).toString('base64') }) })
      .execute();
    server.modify(`dn: uid=alice,${DS389_PEOPLE}\nchangetype: modify\nreplace: displayName\ndisplayName: Alice Again\n`);
    const report = await bothRuns();
    assert.deepEqual([report.mode, report.modeReason], ['full', 'cookie-refused']);
    const [run] = await listRuns(incremental.store.db, 1);
    assert.deepEqual([run!.mode, run!.modeReason], ['full', 'cookie-refused']);
    assert.equal((await sync(incremental)).mode, 'incremental', 'the full run took a fresh cookie');
  });

  it('falls back to a paged full run with a warning when the account’s size limit (nsSizeLimit 500) stops the refresh', async () => {
    const limited = await openTestStore('sqlite');
    try {
      const report = await runSync(limited.store, settings({ dn: DS389_SERVICE_DN, password: DS389_SERVICE_PASSWORD }), { trigger: 'test' });
      assert.deepEqual([report.mode, report.modeReason], ['full', 'server-cannot']);
      assert.ok(report.warnings.some((warning) => /size limit of connection\.administrativeDn stopped it/.test(warning)));
      assert.equal(report.users.created.length, 3, 'the paged read got every user past the limit');
    } finally {
      await limited.store.close();
    }
  });

  // 389 accepts a cookie older than its trimmed retro changelog and sends what is left (sync_cookie_isvalid:
  // "Accept any state request for now"): Roster compares the cookie with the root DSE's firstchangenumber.
  it('refuses a cookie older than the trimmed retro changelog, which 389 itself accepts: the run is full (cookie-refused)', { timeout: 120_000 }, async () => {
    await sync(incremental);
    const before = JSON.parse((await loadTracking(incremental.store.db))!.state) as { changeCookie: string };
    const cookie = Buffer.from(before.changeCookie, 'base64');
    const continuesFrom = Number(/#(\d+)$/.exec(cookie.toString())![1]);
    await server.restart((dse) => dse.replace(/(dn: cn=Retro Changelog Plugin,cn=plugins,cn=config\n)/i, '$1nsslapd-changelogmaxage: 4s\nnsslapd-changelog-trim-interval: 1\n'));
    // A change the trimming takes away before the next run, then one it leaves (observed: it keeps the last one).
    server.modify(`dn: uid=${bulkUid(6)},${DS389_PEOPLE}\nchangetype: modify\nreplace: description\ndescription: trimmed away\n`);
    server.modify(`dn: cn=Staff,${DS389_GROUPS}\nchangetype: modify\nadd: member\nmember: uid=${bulkUid(7)},${DS389_PEOPLE}\n`);
    const deadline = Date.now() + 60_000;
    while (changelogHolds(continuesFrom + 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const first = Number(/firstchangenumber: (\d+)/i.exec(search(['-b', '', '-s', 'base', 'firstchangenumber']))?.[1]);
    assert.ok(first > continuesFrom + 1, `the changelog was trimmed past the cookie (oldest change ${first}, cookie at ${continuesFrom})`);
    const reopened = await openBoundSession(settings().connection);
    try {
      const accepted = await refreshOnly(reopened, { base: DS389_BASE, filter: '(objectClass=*)', attributes: ['1.1'], purpose: 'change feed' }, cookie);
      assert.ok(accepted.cookie, '389 continues from the stale cookie');
    } finally {
      await reopened.close();
    }
    const report = await bothRuns();
    assert.deepEqual([report.mode, report.modeReason], ['full', 'cookie-refused']);
    assert.deepEqual(
      report.users.created.map((user) => user.userName),
      [bulkUid(7)],
    );
  });
});

function search(args: string[]): string {
  return execFileSync('/usr/bin/ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${server.port}`, '-D', server.managerDn, '-w', server.managerPassword, ...args], {
    encoding: 'utf8',
  });
}

function changelogHolds(changeNumber: number): boolean {
  return /changenumber:/i.test(search(['-b', 'cn=changelog', '-s', 'one', `(changenumber=${changeNumber})`, 'changenumber']));
}
