import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listRuns } from '../../src/store/runs.js';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;
let t: TestServer;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await stopAllDirectories();
});

async function waitForScheduledRun(predicate: (status: string) => boolean): Promise<{ status: string; trigger: string; error: { code: string } | null }> {
  for (let i = 0; i < 80; i++) {
    const run = (await listRuns(t.app.store.db)).find((candidate) => candidate.trigger === 'schedule' && predicate(candidate.status));
    if (run) return run;
    await sleep(100);
  }
  assert.fail('no scheduled run was recorded within 8 s');
}

describe('scheduled synchronization', () => {
  it('runs on the cron schedule from the settings, records the run and shows it in the history', async () => {
    const headers = { authorization: `Bearer ${t.adminToken}` };
    const put = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers,
      payload: openLdapInput(directory, { groups: { groups: ['MailStore Users'] }, schedule: '* * * * * *' }),
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.ok(t.app.scheduler.nextRun(), 'a next run is planned');
    const run = await waitForScheduledRun((status) => status === 'committed');
    assert.equal(run.trigger, 'schedule');
    const cookie = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: 'Admin-Password-1' } });
    const history = await t.server.inject({ url: '/runs', headers: { cookie: String(cookie.headers['set-cookie']).split(';')[0]! } });
    assert.match(history.body, /<td>schedule<\/td>\s*<td>committed/);
  });

  it('records a refused scheduled run, and stops when the schedule is removed', async () => {
    const headers = { authorization: `Bearer ${t.adminToken}` };
    await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers,
      payload: openLdapInput(directory, { connection: { password: 'wrong' }, schedule: '* * * * * *' }),
    });
    const refused = await waitForScheduledRun((status) => status === 'refused');
    assert.equal(refused.error!.code, 'SYNC_INCOMPLETE_READ');
    await t.server.inject({ method: 'PUT', url: '/api/directory/settings', headers, payload: openLdapInput(directory) });
    assert.equal(t.app.scheduler.nextRun(), null);
  });

  it('rejects an invalid cron expression with its field', async () => {
    const response = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: openLdapInput(directory, { schedule: 'every day' }),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.details[0].path, 'schedule');
  });
});
