import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { eventsAfter } from '../../src/store/events.js';
import { insertUser } from '../../src/store/users.js';
import { runSync } from '../../src/sync/run.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/slapd.js';

const SECRET = 'api-receiver-secret-42';
let t: TestServer;
let receiver: Receiver;

before(async () => {
  t = await startTestServer();
  receiver = await startReceiver(SECRET);
});
after(async () => {
  await receiver.close();
  await t.close();
});

const admin = () => ({ authorization: `Bearer ${t.adminToken}` });
const inject = (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: object) => t.server.inject({ method, url, headers: admin(), ...(payload ? { payload } : {}) });

describe('API: webhooks', () => {
  it('adds, lists without the secret, tests, and removes a webhook; rejects a bad URL naming the field', async () => {
    const bad = await inject('POST', '/api/webhooks', { url: 'gopher://example.com/' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'INPUT_INVALID');
    assert.equal(bad.json().error.details[0].path, 'url');

    const added = await inject('POST', '/api/webhooks', { url: receiver.url, secret: SECRET, events: ['user.*'] });
    assert.equal(added.statusCode, 201, added.body);
    const id = added.json().webhook.id;
    const listed = await inject('GET', '/api/webhooks');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      listed.json().map((hook: { id: number; url: string; events: string[] }) => [hook.id, hook.url, hook.events]),
      [[id, receiver.url, ['user.*']]],
    );
    assert.ok(!listed.body.includes(SECRET));

    const tested = await inject('POST', `/api/webhooks/${id}/test`);
    assert.deepEqual(tested.json(), { delivered: true, status: 204 });
    const delivery = receiver.received.at(-1)!;
    assert.deepEqual([delivery.event, delivery.signed], ['webhook.test', true]);

    receiver.answer = () => 500;
    const failing = await inject('POST', `/api/webhooks/${id}/test`);
    assert.equal(failing.statusCode, 502);
    assert.equal(failing.json().error.code, 'WEBHOOK_DELIVERY_FAILED');
    assert.match(failing.json().error.message, /HTTP 500/);
    receiver.answer = () => 204;

    assert.equal((await inject('DELETE', `/api/webhooks/${id}`)).statusCode, 204);
    assert.equal((await inject('DELETE', `/api/webhooks/${id}`)).statusCode, 404);
  });
});

describe('API: administrator changes are events', () => {
  it('writes user.created, user.updated, user.disabled and user.deleted with the administrator as actor', async () => {
    const before = (await eventsAfter(t.app.store.db, 0, 1000)).length;
    const created = await inject('POST', '/api/users', { userName: 'dora', password: 'Dora-Password-1', privileges: ['login'] });
    assert.equal(created.statusCode, 201, created.body);
    await inject('PATCH', '/api/users/dora', { privileges: ['login', 'export'], disabled: true });
    await inject('DELETE', '/api/users/dora');
    const events = (await eventsAfter(t.app.store.db, 0, 1000)).slice(before);
    assert.deepEqual(
      events.map((event) => [event.type, event.userName, event.source, event.actor]),
      [
        ['user.created', 'dora', 'manual', 'admin:admin'],
        ['user.updated', 'dora', 'manual', 'admin:admin'],
        ['user.disabled', 'dora', 'manual', 'admin:admin'],
        ['user.deleted', 'dora', 'manual', 'admin:admin'],
      ],
    );
    assert.deepEqual(events[1]!.data, { changes: { privileges: { from: ['login'], to: ['login', 'export'] } } });
  });
});

describe('API: pending deletions', () => {
  async function pendingUser(name: string): Promise<void> {
    await insertUser(
      t.app.store.db,
      {
        userName: name,
        fullName: name,
        emailAddresses: [],
        source: 'directory',
        authentication: 'directory',
        disabled: true,
        privileges: ['login'],
        archiveAccess: ['read'],
        dn: `uid=${name},dc=example,dc=com`,
        stableId: `entryUUID:${name}`,
      },
      null,
    );
    await t.app.store.db.updateTable('users').set({ pending_deletion_since: '2026-01-01T00:00:00.000Z' }).where('user_name_key', '=', name).execute();
  }

  it('shows pendingDeletionSince, keeps a user as a manual user, and deletes another now', async () => {
    await pendingUser('erin');
    await pendingUser('finn');
    assert.equal((await inject('GET', '/api/users/erin')).json().pendingDeletionSince, '2026-01-01T00:00:00.000Z');
    const kept = await inject('POST', '/api/users/erin/keep');
    assert.equal(kept.statusCode, 200, kept.body);
    assert.deepEqual([kept.json().source, kept.json().disabled, kept.json().pendingDeletionSince], ['manual', false, undefined]);
    assert.equal((await inject('POST', '/api/users/erin/keep')).json().error.code, 'CONFLICT');
    assert.equal((await inject('POST', '/api/users/finn/delete-now')).statusCode, 204);
    assert.equal((await inject('GET', '/api/users/finn')).statusCode, 404);
    const events = (await eventsAfter(t.app.store.db, 0, 1000)).filter((event) => event.userName === 'erin' || event.userName === 'finn');
    assert.deepEqual(
      events.map((event) => [event.type, event.userName]),
      [
        ['user.updated', 'erin'],
        ['user.enabled', 'erin'],
        ['user.deleted', 'finn'],
      ],
    );
  });
});

describe('API: health after a refused run', () => {
  it('reports the last run, refused, with its code and time, and an alert', async () => {
    const port = await freePort();
    const settings = validateSettings({ preset: 'openldap', connection: { server: `127.0.0.1:${port}`, administrativeDn: 'cn=x', password: 'p', baseDn: 'dc=x' } });
    await assert.rejects(runSync(t.app.store, settings, { trigger: 'schedule' }));
    const health = (await t.server.inject({ method: 'GET', url: '/api/health' })).json();
    assert.equal(health.lastSync.status, 'refused');
    assert.equal(health.lastSync.error.code, 'SYNC_INCOMPLETE_READ');
    assert.ok(Date.parse(health.lastSync.finishedAt) > Date.now() - 60_000);
    assert.equal(health.syncAlert, true);
    const refused = (await eventsAfter(t.app.store.db, 0, 1000)).filter((event) => event.type === 'sync.refused');
    assert.equal(refused.length, 1);
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /roster_webhook_pending_events|# TYPE roster_webhook_pending_events gauge/);
  });
});
