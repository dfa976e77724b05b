/**
 * The console's pieces for issue #15 in Chromium: the alert banner after a refused run (gone once a run commits),
 * the Webhooks page (add, send a test), and a user pending deletion kept by the administrator.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { validateSettings } from '../../src/config/load.js';
import { insertUser } from '../../src/store/users.js';
import { runSync } from '../../src/sync/run.js';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapSettings } from '../helpers/settings.js';
import { freePort, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SECRET = 'console-receiver-secret';

let directory: TestDirectory;
let t: TestServer;
let receiver: Receiver;
let browser: Browser;
let base: string;

before(async () => {
  if (!CHROMIUM) throw new Error('Chromium is not installed: apt-get install chromium (.ci/run does it).');
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  t = await startTestServer();
  receiver = await startReceiver(SECRET);
  await t.server.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.server.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
});
after(async () => {
  await browser?.close();
  await receiver?.close();
  await t?.close();
  await stopAllDirectories();
});

async function logOn(page: Page): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#userName', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/users`);
}

describe('console: alerts, webhooks, pending deletions', () => {
  it('shows a banner after a refused run until a run commits', async () => {
    const port = await freePort();
    const broken = validateSettings({ preset: 'openldap', connection: { server: `127.0.0.1:${port}`, administrativeDn: 'cn=x', password: 'p', baseDn: 'dc=x' } });
    await assert.rejects(runSync(t.app.store, broken, { trigger: 'schedule' }));
    const page = await browser.newPage();
    await logOn(page);
    assert.match((await page.textContent('#sync-alert'))!, /refused \(schedule.*SYNC_INCOMPLETE_READ/s);
    await runSync(t.app.store, openLdapSettings(directory, { groups: { groups: ['MailStore Users'] } }), { trigger: 'test' });
    await page.goto(`${base}/runs`);
    assert.equal(await page.$('#sync-alert'), null);
    await page.close();
  });

  it('adds a webhook on the Webhooks page, never showing the secret, and sends a test', async () => {
    const page = await browser.newPage();
    await logOn(page);
    await page.click('text=Webhooks');
    await page.waitForURL(`${base}/webhooks`);
    await page.fill('#url', 'ftp://example.com/');
    await page.click('button:text("Add")');
    await page.waitForSelector('.problem');
    assert.match((await page.textContent('.problem'))!, /url: must be an http/);
    await page.fill('#url', receiver.url);
    await page.fill('#secret', SECRET);
    await page.fill('#events', 'user.*, sync.refused');
    await page.click('button:text("Add")');
    await page.waitForSelector('text=Webhook 1 added.');
    assert.match((await page.textContent('#webhooks'))!, /user\.\*, sync\.refused/);
    assert.ok(!(await page.content()).includes(SECRET));
    await page.click('text=Send test');
    await page.waitForSelector('text=Test delivery: the receiver answered HTTP 204.');
    assert.deepEqual(
      receiver.received.map((delivery) => [delivery.event, delivery.signed]),
      [['webhook.test', true]],
    );
    await page.close();
  });

  it('lets the administrator keep a user pending deletion', async () => {
    await insertUser(
      t.app.store.db,
      {
        userName: 'gina',
        fullName: 'Gina',
        emailAddresses: [],
        source: 'directory',
        authentication: 'directory',
        disabled: true,
        privileges: ['login'],
        archiveAccess: ['read'],
        dn: 'uid=gina,dc=x',
        stableId: 'entryUUID:gina',
      },
      null,
    );
    await t.app.store.db.updateTable('users').set({ pending_deletion_since: '2026-01-01T00:00:00.000Z' }).where('user_name_key', '=', 'gina').execute();
    const page = await browser.newPage();
    await logOn(page);
    assert.match((await page.textContent('#users-table'))!, /gina \(disabled\) \(pending deletion since 2026-01-01/);
    await page.goto(`${base}/users/gina`);
    assert.match((await page.textContent('#pending-deletion'))!, /Left the directory scope on 2026-01-01/);
    await page.click('text=Keep (make it a manual user)');
    await page.waitForSelector('text=Kept as a manual user.');
    assert.equal(await page.$('#pending-deletion'), null);
    assert.match((await page.textContent('main'))!, /manual/);
    await page.close();
  });
});
