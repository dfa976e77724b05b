/**
 * The console at scale in a real browser (Debian's chromium driven by playwright-core): the users list pages, searches
 * and filters in the database; a run's page shows its changes as diffs, filtered and paged.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { User } from '../../src/model.js';
import { insertMany } from '../../src/store/bulk.js';
import { recordRun, type RunChange } from '../../src/store/runs.js';
import { userRow } from '../../src/store/users.js';
import { OPENLDAP_BASE, PEOPLE, openLdapFixture } from '../fixtures/openldap.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapInput } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const USERS = 350;

let t: TestServer;
let browser: Browser;
let base: string;
let runId: number;
let directory: TestDirectory;

function listedUser(index: number): User {
  const userName = `member${String(index).padStart(3, '0')}`;
  return {
    userName,
    fullName: `${index % 5 === 0 ? 'Schmidt' : 'Weber'} ${index}`,
    emailAddresses: [`${userName}@example.com`],
    source: index % 25 === 0 ? 'manual' : 'directory',
    authentication: 'directory',
    disabled: index % 50 === 0,
    privileges: ['login'],
    archiveAccess: ['read'],
    dn: null,
    stableId: null,
  };
}

function runChanges(): RunChange[] {
  const list: RunChange[] = [];
  for (let i = 0; i < 30; i++) list.push({ userName: `left${i}`, action: 'deleted', detail: { reason: 'no longer in group Staff' } });
  for (let i = 0; i < 120; i++)
    list.push({
      userName: `member${String(i).padStart(3, '0')}`,
      action: 'updated',
      detail: { fullName: { from: `Old ${i}`, to: `New ${i}` }, emailAddresses: { from: [`old${i}@example.com`], to: [`new${i}@example.com`] } },
    });
  for (let i = 0; i < 300; i++)
    list.push({ userName: `joined${i}`, action: 'created', detail: { fullName: `Joined ${i}`, emailAddresses: [`joined${i}@example.com`], dn: `uid=joined${i},dc=example` } });
  return list;
}

before(async () => {
  if (!CHROMIUM) throw new Error('Chromium is not installed: apt-get install chromium (.ci/run does it).');
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  t = await startTestServer();
  await insertMany(
    t.app.store.db,
    'users',
    Array.from({ length: USERS }, (_, index) => userRow(listedUser(index + 1), new Date().toISOString())),
  );
  const counts = { created: 300, updated: 120, deleted: 30, outOfScope: 0, unchanged: 0 };
  runId = await recordRun(
    t.app.store.db,
    { startedAt: new Date().toISOString(), trigger: 'test', status: 'committed', settingsFingerprint: 'f', durationMs: 1, counts, warnings: [] },
    runChanges(),
  );
  await t.server.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.server.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await t?.close();
  await stopAllDirectories();
});

async function logOnAsAdmin(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/login`);
  await page.fill('#userName', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/users`);
  return page;
}

const textOf = async (page: Page, selector: string) => (await page.textContent(selector))!.replace(/\s+/g, ' ').trim();
const rows = (page: Page, table: string) => page.$$eval(`${table} tbody tr td:first-child`, (cells) => cells.map((cell) => cell.textContent!.trim()));

describe('console at scale in Chromium', () => {
  it('pages the users with their total, searches live and filters, all in the database', async () => {
    const page = await logOnAsAdmin();
    assert.match(await textOf(page, '#users-total'), /^351 users; showing admin to member099$/);
    assert.equal((await rows(page, '#users-table')).length, 100);
    await page.click('#users-list a[rel=next]');
    await page.waitForFunction(() => document.querySelector('#users-table tbody tr td a')?.textContent === 'member100');
    assert.equal(new URL(page.url()).searchParams.get('after'), 'member099');
    assert.match(await textOf(page, '#users-total'), /351 users; showing member100 to member199/);
    await page.click('#users-list a[rel=first]');
    await page.waitForFunction(() => document.querySelector('#users-table tbody tr td a')?.textContent === 'admin');

    await page.fill('#q', 'SCHMIDT');
    await page.waitForFunction(() => document.querySelector('#users-total')?.textContent?.replace(/\s+/g, ' ').trim().startsWith('70 users match'));
    assert.ok((await rows(page, '#users-table')).every((name) => Number(name.replace(/\D/g, '')) % 5 === 0));
    await page.selectOption('#source', 'manual');
    await page.waitForFunction(() => document.querySelector('#users-total')?.textContent?.replace(/\s+/g, ' ').trim().startsWith('14 users match'));
    await page.selectOption('#disabled', 'true');
    await page.waitForFunction(() => document.querySelector('#users-total')?.textContent?.replace(/\s+/g, ' ').trim().startsWith('7 users match'));
    assert.deepEqual(
      (await rows(page, '#users-table')).map((cell) => cell.replace(/\s*\(disabled\)$/, '')),
      ['member050', 'member100', 'member150', 'member200', 'member250', 'member300', 'member350'],
    );
    // The filters are in the address: reloading shows the same list.
    await page.reload();
    assert.match(await textOf(page, '#users-total'), /^7 users match/);
    assert.equal(await page.inputValue('#q'), 'SCHMIDT');
    await page.fill('#q', 'nobody-is-called-this');
    await page.waitForSelector('text=No user matches.');
    await page.close();
  });

  it("shows a run's summary first and its changes as diffs, filtered by action and name and paged", async () => {
    const page = await logOnAsAdmin();
    await page.goto(`${base}/runs/${runId}`);
    assert.match(await textOf(page, '.counts'), /300 created\s*120 updated\s*30 deleted/);
    assert.match(await textOf(page, '#changes-total'), /^450 changes/);
    assert.equal((await rows(page, '#changes-table')).length, 100);
    await page.selectOption('#changes-action', 'updated');
    await page.waitForFunction(() => document.querySelector('#changes-total')?.textContent?.replace(/\s+/g, ' ').trim().startsWith('120 changes match'));
    const firstDiff = await page.textContent('#changes-table tbody tr:first-child td:last-child');
    assert.match(firstDiff!.replace(/\s+/g, ' '), /full name: Old 0 → New 0 addresses: added new0@example.com removed old0@example.com/);
    assert.equal(await page.textContent('#changes-table tbody tr:first-child del'), 'Old 0');
    assert.equal(await page.textContent('#changes-table tbody tr:first-child ins'), 'New 0');
    await page.click('#changes-list a[rel=next]');
    await page.waitForFunction(() => document.querySelector('#changes-table tbody tr td')?.textContent === '131');
    assert.equal((await rows(page, '#changes-table')).length, 20);
    await page.fill('#changes-q', 'MEMBER01');
    await page.waitForFunction(() => document.querySelector('#changes-total')?.textContent?.replace(/\s+/g, ' ').trim().startsWith('10 changes match'));
    const csv = await page.request.get(`${base}/api/directory/runs/${runId}/changes.csv`);
    assert.equal(csv.status(), 200);
    assert.equal((await csv.text()).split('\r\n').length, 452);
    await page.close();
  });

  it('explains a name from Directory Services and from a user page, and synchronizes that one user', async () => {
    const headers = { authorization: `Bearer ${t.adminToken}` };
    const stored = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers,
      payload: openLdapInput(directory, { groups: { groups: ['MailStore Users'] } }),
    });
    assert.equal(stored.statusCode, 200, stored.body);
    assert.equal((await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=alice', headers })).statusCode, 200);
    const client = await adminClient(directory);
    await client.modify(`uid=alice,${PEOPLE}`, [{ operation: 'replace', type: 'displayName', values: ['Alice A. Archer'] }]);
    await client.unbind();

    const page = await logOnAsAdmin();
    await page.goto(`${base}/directory`);
    await page.fill('#explain-name', 'carol');
    await page.click('form:has(#explain-name) button');
    await page.waitForSelector('#explain-action');
    assert.equal(await page.textContent('#explain-action'), 'would be created');
    assert.equal(await textOf(page, '#explain-reached'), 'MailStore Users → Developers');
    await page.fill('#explain-name', 'zoe');
    await page.click('form:has(#explain-name) button');
    await page.waitForFunction(() => document.querySelector('#explain-reason')?.textContent?.includes('Équipe'));

    await page.goto(`${base}/users/alice`);
    await page.click('#explain-user');
    await page.waitForSelector('#explain-action');
    assert.equal(await page.textContent('#explain-action'), 'would be updated');
    assert.equal(await page.textContent('#explanation del'), 'Alice Archer');
    assert.equal(await page.textContent('#explanation ins'), 'Alice A. Archer');
    await page.click('#sync-user');
    await page.waitForSelector('text=Synchronized this user: changes committed');
    assert.match(await textOf(page, '#sync-result .counts'), /0 created\s*1 updated\s*0 deleted/);
    await page.click('#explain-user');
    await page.waitForFunction(() => document.querySelector('#explain-action')?.textContent === 'nothing would change');
    assert.equal(await textOf(page, '#explain-reason'), 'the user is in scope and already up to date');
    await page.close();
  });

  it('runs "Test settings" in the background and pages the tables of a large report, summary first', async () => {
    const page = await logOnAsAdmin();
    await page.goto(`${base}/directory`);
    await page.fill('#groups-groups', '');
    await page.fill('#connection-password', directory.servicePassword);
    await page.click('text=Test settings');
    // The answer is the job; it polls until the report replaces it.
    await page.waitForSelector('#report', { timeout: 60_000 });
    assert.match(await textOf(page, '#report h2'), /nothing was committed/);
    const created = await textOf(page, '#section-created h3');
    const count = Number(/\((\d[\d,]*)\)/.exec(created)![1]!.replace(/,/g, ''));
    assert.ok(count > 600, created);
    assert.equal((await page.$$('#section-created tbody tr')).length, 100);
    assert.match(await textOf(page, '#section-created .pager'), new RegExp(`^1–100 of ${count.toLocaleString('en')}`));
    const firstRow = await page.textContent('#section-created tbody tr td');
    await page.click('#section-created a:text("Next »")');
    await page.waitForFunction(() => document.querySelector('#section-created .pager')?.textContent?.trim().startsWith('101–200'));
    assert.notEqual(await page.textContent('#section-created tbody tr td'), firstRow);
    await page.click('#section-created a:text("« Previous")');
    await page.waitForFunction(() => document.querySelector('#section-created .pager')?.textContent?.trim().startsWith('1–100'));
    // The counts and warnings come before any table.
    const order = await page.$$eval('#report > *', (elements) => elements.map((element) => element.className || element.tagName.toLowerCase()));
    assert.ok(order.indexOf('counts') < order.findIndex((name) => name === 'div' || name === ''), JSON.stringify(order));
    await page.close();
  });
});
