/**
 * The console in a real browser (Debian's chromium driven by playwright-core): the administrator configures the
 * directory from the OpenLDAP preset, tests, synchronizes and opens a user; a synced user logs on with the
 * directory password and sees only their own page. Screenshots of the main pages are saved on the way.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OPENLDAP_BASE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
// `npm run screenshots` refreshes the README's pictures; a plain test run keeps its screenshots in a temp dir.
const SCREENSHOTS = process.env.ROSTER_SCREENSHOTS ?? join(tmpdir(), 'roster-screenshots') + '/';

let directory: TestDirectory;
let t: TestServer;
let browser: Browser;
let base: string;

before(async () => {
  if (!CHROMIUM) throw new Error('Chromium is not installed: apt-get install chromium (.ci/run does it).');
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  t = await startTestServer();
  await t.server.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.server.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await t?.close();
  await stopAllDirectories();
});

async function logOn(page: Page, userName: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#userName', userName);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

describe('web console in Chromium', () => {
  it('lets the administrator configure, test and synchronize the directory, then open a synced user', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${base}/login`);
    await page.screenshot({ path: `${SCREENSHOTS}login.png` });
    await logOn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(`${base}/users`);
    await page.click('text=Directory Services');
    await page.waitForURL(`${base}/directory`);

    await page.selectOption('#preset', 'openldap');
    await page.waitForFunction(() => (document.querySelector('#users-filter') as HTMLInputElement | null)?.value === '(objectClass=posixAccount)');
    assert.equal(await page.inputValue('#groups-members'), 'memberUid');
    await page.fill('#connection-server', `127.0.0.1:${directory.port}`);
    await page.fill('#connection-administrativeDn', directory.serviceDn);
    await page.fill('#connection-password', directory.servicePassword);
    await page.fill('#connection-baseDn', OPENLDAP_BASE);
    await page.fill('#groups-groups', 'MailStore Users');

    await page.click('text=Test settings');
    await page.waitForSelector('#report');
    const preview = await page.textContent('#report');
    assert.match(preview!, /nothing was committed/);
    for (const name of ['alice', 'bob', 'carol']) assert.match(preview!, new RegExp(name));
    assert.match(preview!, /member 'ghost' of group 'MailStore Users' matched no entry/);
    await page.screenshot({ path: `${SCREENSHOTS}directory-test.png`, fullPage: true });

    await page.fill('#connection-server', 'bad_host!');
    await page.click('text=Save settings');
    await page.waitForSelector('.error');
    assert.match((await page.textContent('#settings-form'))!, /"bad_host!" is not a host/);
    await page.fill('#connection-server', `127.0.0.1:${directory.port}`);
    await page.fill('#connection-password', directory.servicePassword);
    await page.click('text=Save settings');
    await page.waitForSelector('text=Settings saved.');

    await page.click('text=Synchronize now');
    await page.waitForSelector('text=Synchronized: changes committed');
    assert.match((await page.textContent('#report'))!, /3 created/);
    await page.screenshot({ path: `${SCREENSHOTS}directory-sync.png`, fullPage: true });

    await page.click('text=Users and Privileges');
    await page.waitForSelector('#users-table');
    await page.fill('#q', 'ali');
    await page.waitForFunction(() => document.querySelectorAll('#users-table tbody tr').length === 1);
    await page.screenshot({ path: `${SCREENSHOTS}users.png` });
    await page.click('#users-table a:text("alice")');
    await page.waitForSelector('h1:text("alice")');
    assert.match((await page.textContent('main'))!, /uid=alice,ou=people,dc=example,dc=com/);
    await page.check('input[name=privileges][value=archive]');
    await page.click('text=Save');
    await page.waitForSelector('text=Saved.');
    await page.screenshot({ path: `${SCREENSHOTS}user.png`, fullPage: true });

    await page.click('text=Synchronization history');
    await page.waitForSelector('text=committed');
    await page.screenshot({ path: `${SCREENSHOTS}history.png` });
    await page.close();
  });

  it('lets a synced user log on with the directory password and see only their own page', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await logOn(page, 'bob', 'wrong password');
    await page.waitForSelector('text=Invalid user name or password.');
    await logOn(page, 'bob', USER_PASSWORD);
    await page.waitForURL(`${base}/me`);
    assert.match((await page.textContent('main'))!, /the directory password/);
    await page.screenshot({ path: `${SCREENSHOTS}me.png` });
    const users = await page.goto(`${base}/users`);
    assert.equal(users!.status(), 403);
    const api = await page.goto(`${base}/api/users`);
    assert.equal(api!.status(), 403);
    assert.equal(await page.locator('text=Users and Privileges').count(), 0);
    await page.close();
  });
});
