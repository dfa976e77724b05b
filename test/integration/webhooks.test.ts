import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { addWebhook, listWebhookViews, retryWebhookFailure } from '../../src/admin/webhooks.js';
import { isRosterError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { eventsAfter } from '../../src/store/events.js';
import { Store } from '../../src/store/store.js';
import { runSync } from '../../src/sync/run.js';
import { WebhookDeliverer } from '../../src/webhooks/deliverer.js';
import { OPENLDAP_BASE, PEOPLE, openLdapFixture } from '../fixtures/openldap.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

const SECRET = 'receiver-secret-0123456789';
const log = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

async function world(backend: (typeof BACKENDS)[number]) {
  const directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  const test = await openTestStore(backend);
  const receiver = await startReceiver(SECRET);
  cleanups.push(
    () => test.store.close(),
    () => receiver.close(),
  );
  const settings = openLdapSettings(directory, { groups: { groups: ['MailStore Users'] }, options: { deleteUsers: true } });
  await addWebhook(test.store, { url: receiver.url, secret: SECRET });
  return { directory, test, receiver, settings, sync: () => runSync(test.store, settings, { trigger: 'test' }) };
}

function deliverer(store: Store, owner?: string): WebhookDeliverer {
  const running = new WebhookDeliverer(store, { log, pollMs: 50, ...(owner ? { owner } : {}) });
  running.start();
  cleanups.push(() => running.stop());
  return running;
}

async function storedEventIds(test: TestStore): Promise<string[]> {
  return (await eventsAfter(test.store.db, 0, 10_000)).map((event) => event.id);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function assertEachOnce(receiver: Receiver, ids: string[]): void {
  const accepted = receiver.accepted().map((delivery) => delivery.delivery);
  assert.deepEqual(accepted, ids, 'every event accepted once, in order');
  assert.ok(
    receiver.received.every((delivery) => delivery.signed),
    'every delivery carries a valid signature',
  );
}

for (const backend of BACKENDS) {
  describe(`webhooks on ${backend}`, () => {
    it('delivers every change of a sync once, signed, with the event type and id in the headers', async () => {
      const { directory, test, receiver, sync } = await world(backend);
      deliverer(test.store);
      await sync();
      const client = await adminClient(directory);
      await client.modify(`uid=bob,${PEOPLE}`, { operation: 'replace', type: 'displayName', values: ['Bob Builder'] });
      await client.unbind();
      await sync();
      const ids = await storedEventIds(test);
      await receiver.waitFor(() => receiver.accepted().length >= ids.length);
      assertEachOnce(receiver, ids);
      const types = receiver.received.map((delivery) => delivery.event);
      assert.deepEqual(types, ['user.created', 'user.created', 'user.created', 'sync.committed', 'user.updated', 'sync.committed']);
      // A sync's user.created events are stored as references to the run's changes (store/events.ts): delivered whole.
      const created = JSON.parse(receiver.received[0]!.body);
      assert.deepEqual(Object.keys(created), ['id', 'type', 'time', 'stableId', 'userName', 'source', 'runId', 'actor', 'data']);
      assert.deepEqual(Object.keys(created.data), ['fullName', 'emailAddresses', 'dn', 'disabled']);
      assert.match(created.stableId, /^entryUUID:/);
      assert.equal(created.id, receiver.received[0]!.delivery);
      assert.match(created.data.dn, new RegExp(`^uid=${created.userName},`));
      assert.equal(typeof created.data.disabled, 'boolean');
      const update = JSON.parse(receiver.received[4]!.body);
      assert.deepEqual(
        { type: update.type, userName: update.userName, source: update.source, changes: update.data.changes },
        { type: 'user.updated', userName: 'bob', source: 'directory', changes: { fullName: { from: 'Bob', to: 'Bob Builder' } } },
      );
      assert.match(update.stableId, /^entryUUID:/);
      assert.equal(update.id, receiver.received[4]!.delivery);
      assert.ok(!Number.isNaN(Date.parse(update.time)));
    });

    it('delivers every event after a receiver that failed and was down comes back, each delivery id accepted once', async () => {
      const { test, receiver, sync } = await world(backend);
      let failuresLeft = 2;
      receiver.answer = () => (failuresLeft-- > 0 ? 503 : 204);
      deliverer(test.store);
      await sync();
      await receiver.waitFor(() => receiver.received.length >= 2);
      await receiver.stop();
      const views = await listWebhookViews(test.store);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(views[0]!.pending > 0);
      await sync();
      await receiver.start();
      const ids = await storedEventIds(test);
      await receiver.waitFor(() => receiver.accepted().length >= ids.length, 30_000);
      assertEachOnce(receiver, ids);
      // Only the deliveries the receiver refused were sent again.
      const failed = receiver.received.filter((delivery) => delivery.status === 503).map((delivery) => delivery.delivery);
      assert.deepEqual(failed, [ids[0], ids[0]]);
      assert.equal(receiver.received.length, ids.length + 2);
    });

    it('sets an event aside after the retry period, shows it with its last error, and retries it on request', async () => {
      const { test, receiver, sync } = await world(backend);
      receiver.answer = () => 500;
      deliverer(test.store);
      await sync();
      await receiver.waitFor(() => receiver.received.length >= 1);
      await waitUntil(async () => (await listWebhookViews(test.store))[0]!.retry !== null);
      const retrying = (await listWebhookViews(test.store))[0]!;
      assert.equal(retrying.retry!.lastError, 'HTTP 500');
      assert.equal(retrying.pending, 4);
      // As if the receiver had been failing for 26 hours.
      await test.store.db
        .updateTable('webhooks')
        .set({ first_failure_at: Date.now() - 26 * 3_600_000, next_attempt_at: 0 })
        .execute();
      await waitUntil(async () => (await listWebhookViews(test.store))[0]!.failures.length === 4);
      const view = (await listWebhookViews(test.store))[0]!;
      assert.equal(view.pending, 0);
      assert.ok(view.failures.every((failure) => failure.lastError === 'HTTP 500'));
      receiver.answer = () => 204;
      const first = view.failures[0]!;
      assert.deepEqual(await retryWebhookFailure(test.store, view.id, first.eventSeq), { ok: true, status: 204 });
      assert.equal((await listWebhookViews(test.store))[0]!.failures.length, 3);
      const retried = receiver.accepted().at(-1)!;
      assert.equal(retried.event, 'user.created');
      assert.equal(retried.delivery, (await storedEventIds(test))[0]);
      // Later events go out normally once the receiver answers again.
      await sync();
      await receiver.waitFor(() => receiver.accepted().some((delivery) => delivery.event === 'sync.committed'));
    });

    it('sends sync.refused for a refused run', async () => {
      const { test, receiver, settings } = await world(backend);
      deliverer(test.store);
      await runSync(test.store, settings, { trigger: 'test' });
      const empty = { ...settings, users: { ...settings.users, filter: '(uid=nobody-at-all)' } };
      await assert.rejects(runSync(test.store, empty, { trigger: 'schedule' }), (error) => isRosterError(error, 'SYNC_EMPTY_READ'));
      await receiver.waitFor(() => receiver.accepted().some((delivery) => delivery.event === 'sync.refused'));
      const refused = JSON.parse(receiver.accepted().find((delivery) => delivery.event === 'sync.refused')!.body);
      assert.equal(refused.data.code, 'SYNC_EMPTY_READ');
      assert.equal(refused.actor, 'sync:schedule');
      assert.equal(typeof refused.runId, 'number');
    });

    it('validates URLs and never shows or stores the secret in clear', async () => {
      const test = await openTestStore(backend);
      cleanups.push(() => test.store.close());
      for (const url of ['ftp://example.com/hook', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/']) {
        await assert.rejects(
          addWebhook(test.store, { url, secret: SECRET }),
          (error) => isRosterError(error, 'INPUT_INVALID') && JSON.stringify(error.details).includes('"url"'),
          url,
        );
      }
      await assert.rejects(addWebhook(test.store, { url: 'https://example.com/', events: ['users.*'] }), (error) => isRosterError(error, 'INPUT_INVALID'));
      const added = await addWebhook(test.store, { url: 'https://example.com/hook', secret: SECRET, events: ['user.*', 'sync.refused'] });
      assert.equal(added.generatedSecret, undefined);
      const generated = await addWebhook(test.store, { url: 'https://example.com/other' });
      assert.ok(generated.generatedSecret && generated.generatedSecret.length >= 32);
      const shown = JSON.stringify(await listWebhookViews(test.store));
      assert.ok(!shown.includes(SECRET) && !shown.includes(generated.generatedSecret));
      const stored = JSON.stringify(await test.store.db.selectFrom('webhooks').selectAll().execute());
      assert.ok(!stored.includes(SECRET) && !stored.includes(generated.generatedSecret));
    });
  });
}

describe('two server instances sharing one PostgreSQL', () => {
  it('deliver each event once between them', async () => {
    const { test, receiver, sync } = await world('postgres');
    const second = await Store.open({ dataDir: test.dataDir, databaseUrl: test.databaseUrl! });
    cleanups.push(() => second.close());
    receiver.delayMs = 300;
    await sync();
    await sync();
    const instances = { 'instance-a': deliverer(test.store, 'instance-a'), 'instance-b': deliverer(second, 'instance-b') };
    // One of them holds the webhook's lease and delivers; when it stops, the other carries on where it left off.
    await receiver.waitFor(() => receiver.accepted().length >= 1);
    const holder = (await test.store.db.selectFrom('webhooks').select('lease_owner').executeTakeFirstOrThrow()).lease_owner as keyof typeof instances;
    assert.ok(holder in instances);
    await instances[holder].stop();
    assert.ok(receiver.accepted().length < (await storedEventIds(test)).length, 'stopped before the end');
    const ids = await storedEventIds(test);
    await receiver.waitFor(() => receiver.accepted().length >= ids.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assertEachOnce(receiver, ids);
  });
});
