import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunRecord } from '../../src/store/runs.js';
import { OPENLDAP_BASE, PEOPLE, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapInput } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

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

const headers = () => ({ authorization: `Bearer ${t.adminToken}` });
const userNames = async () => (await t.server.inject({ url: '/api/users?limit=1000', headers: headers() })).json().map((user: { userName: string }) => user.userName);
const runs = async (): Promise<RunRecord[]> => (await t.server.inject({ url: '/api/directory/runs', headers: headers() })).json();
async function rename(uid: string, displayName: string): Promise<void> {
  const client = await adminClient(directory);
  await client.modify(`uid=${uid},${PEOPLE}`, [{ operation: 'replace', type: 'displayName', values: [displayName] }]);
  await client.unbind();
}

describe('synchronize one user (real slapd)', () => {
  it('creates only that user, records a run of mode single, and the next full run creates the others', async () => {
    const stored = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers: headers(),
      payload: openLdapInput(directory, { groups: { groups: ['MailStore Users'] } }),
    });
    assert.equal(stored.statusCode, 200, stored.body);
    const response = await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=Carol', headers: headers() });
    assert.equal(response.statusCode, 200, response.body);
    const report = response.json();
    assert.equal(report.mode, 'single');
    assert.equal(report.committed, true);
    assert.deepEqual(
      report.users.created.map((user: { userName: string }) => user.userName),
      ['carol'],
    );
    assert.deepEqual([report.users.updated, report.users.deleted, report.users.unchanged], [[], [], 0]);
    assert.deepEqual(await userNames(), ['admin', 'carol']);
    const [run] = await runs();
    assert.deepEqual([run!.id, run!.mode, run!.modeReason, run!.status, run!.counts.created], [report.runId, 'single', 'user Carol', 'committed', 1]);
    const changes = await t.server.inject({ url: `/api/directory/runs/${run!.id}/changes`, headers: headers() });
    assert.deepEqual(
      changes.json().map((change: { userName: string; action: string }) => [change.userName, change.action]),
      [['carol', 'created']],
    );

    const full = await t.server.inject({ method: 'POST', url: '/api/directory/sync', headers: headers() });
    assert.equal(full.statusCode, 200, full.body);
    assert.ok(!full.json().users.created.some((user: { userName: string }) => user.userName === 'carol'));
    assert.equal((await runs())[0]!.mode, 'full');
  });

  it('updates only the named user (CLI --user), leaving other changed users for the next run', async () => {
    await rename('bob', 'Bob the Builder');
    await rename('carol', 'Carol Chen-Li');
    const cli = await runCli([...t.cliArgs, 'directory', 'sync', '--user', 'bob', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const report = JSON.parse(cli.stdout);
    assert.equal(report.mode, 'single');
    assert.deepEqual(report.users.updated, [{ userName: 'bob', changes: { fullName: { from: 'Bob', to: 'Bob the Builder' } } }]);
    const carol = (await t.server.inject({ url: '/api/users/carol', headers: headers() })).json();
    assert.equal(carol.fullName, 'Carol Chen');
    const history = await runCli([...t.cliArgs, 'directory', 'runs']);
    assert.match(history.stdout.split('\n')[0]!, /\bcli\b.*\bsingle \(user bob\)/);
    const unchanged = await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=alice', headers: headers() });
    assert.deepEqual([unchanged.json().users.unchanged, unchanged.json().users.updated], [1, []]);
  });

  it('answers NOT_FOUND for a name neither Roster nor the directory has, recording no run', async () => {
    const before = (await runs()).length;
    const response = await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=nobody-at-all', headers: headers() });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, 'NOT_FOUND');
    assert.equal((await runs()).length, before);
    const empty = await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=', headers: headers() });
    assert.equal(empty.statusCode, 400);
  });

  it('refuses when the read does not complete, as a full run would, and records the refusal as single', async () => {
    const broken = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers: headers(),
      payload: openLdapInput(directory, { connection: { baseDn: `ou=nowhere,${OPENLDAP_BASE}` }, groups: { groups: ['MailStore Users'] } }),
    });
    assert.equal(broken.statusCode, 200, broken.body);
    const response = await t.server.inject({ method: 'POST', url: '/api/directory/sync?user=carol', headers: headers() });
    assert.equal(response.json().error.code, 'SYNC_INCOMPLETE_READ');
    const [run] = await runs();
    assert.deepEqual([run!.status, run!.mode, run!.error?.code], ['refused', 'single', 'SYNC_INCOMPLETE_READ']);
    assert.deepEqual(await userNames(), ['admin', 'alice', 'bob', 'carol']);
  });
});
