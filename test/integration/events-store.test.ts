import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { Store } from '../../src/store/store.js';
import { appendEvents, countEventsAfter, eventBody, eventsAfter, findEventAt, lastEventPosition, type EventToAppend, type NewEvent } from '../../src/store/events.js';
import { recordRun, type RunChange, type RunCounts } from '../../src/store/runs.js';
import { BACKENDS, dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

const opened: TestStore[] = [];
afterEach(async () => {
  for (const test of opened.splice(0)) await test.store.close();
});
after(dropTestSchemas);

const created = (count: number, from = 0): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'user.created', userName: `u${from + i}`, stableId: `entryUUID:${from + i}`, source: 'directory', data: { n: from + i } }));

for (const backend of BACKENDS) {
  describe(`event pages on ${backend}`, () => {
    it('reads events back in commit order across pages, from any position, and counts what is left', async () => {
      const test = await openTestStore(backend);
      opened.push(test);
      assert.equal(await lastEventPosition(test.store.db), 0);
      await test.store.db.transaction().execute((trx) => appendEvents(trx, created(450), 'sync:test'));
      await test.store.db.transaction().execute((trx) => appendEvents(trx, created(1, 450), 'cli'));
      const all = await eventsAfter(test.store.db, 0, 10_000);
      assert.deepEqual(
        all.map((event) => event.userName),
        Array.from({ length: 451 }, (_, i) => `u${i}`),
      );
      assert.equal(new Set(all.map((event) => event.id)).size, 451);
      assert.ok(all.every((event, i) => i === 0 || event.seq > all[i - 1]!.seq));
      assert.equal(await lastEventPosition(test.store.db), all.at(-1)!.seq);
      assert.equal(await countEventsAfter(test.store.db, 0), 451);
      for (const cut of [0, 1, 199, 200, 201, 449, 450]) {
        const rest = await eventsAfter(test.store.db, all[cut]!.seq, 100);
        assert.deepEqual(
          rest.map((event) => event.userName),
          all.slice(cut + 1, cut + 101).map((event) => event.userName),
          `after event ${cut}`,
        );
        assert.equal(await countEventsAfter(test.store.db, all[cut]!.seq), 450 - cut, `left after event ${cut}`);
      }
      assert.deepEqual(await findEventAt(test.store.db, all[321]!.seq), all[321]);
      assert.equal(all[450]!.actor, 'cli');
    });

    it("reads a sync's user.created events stored as references to the run's changes as the same events in full", async () => {
      const test = await openTestStore(backend);
      opened.push(test);
      await test.store.db.transaction().execute((trx) => appendEvents(trx, created(3), 'cli'));
      // One deletion first, so the created changes straddle the run's change pages (200 each) at 199 and 399.
      const users = Array.from({ length: 450 }, (_, i) => ({
        userName: `new${i}`,
        stableId: i === 7 ? null : `entryUUID:n${i}`,
        disabled: i % 97 === 3,
        detail: { fullName: `New ${i}`, emailAddresses: [`new${i}@example.org`], dn: `uid=new${i},ou=people,dc=example,dc=org` },
      }));
      const changes: RunChange[] = [
        { userName: 'gone', action: 'deleted', detail: { reason: 'out of scope' } },
        ...users.map((user): RunChange => ({ userName: user.userName, action: 'created', detail: user.detail })),
      ];
      const counts: RunCounts = { created: 450, updated: 0, deleted: 1, outOfScope: 0, unchanged: 0 };
      const time = '2026-11-27T18:00:00.000Z';
      const explicit = (runId: number): NewEvent[] => [
        { type: 'user.deleted', userName: 'gone', source: 'directory', runId, data: { reason: 'out of scope' } },
        ...users.map((user): NewEvent => ({
          type: 'user.created',
          stableId: user.stableId,
          userName: user.userName,
          source: 'directory',
          runId,
          data: { ...user.detail, disabled: user.disabled },
        })),
        { type: 'sync.committed', runId, data: { counts } },
      ];
      const runId = await test.store.db.transaction().execute(async (trx) => {
        const id = await recordRun(trx, { startedAt: time, trigger: 'test', status: 'committed', settingsFingerprint: 'f', durationMs: 1, counts, warnings: [] }, changes);
        const [deleted, ...rest] = explicit(id);
        const events: EventToAppend[] = [deleted!, { type: 'user.created', runId: id, firstChange: 1, users }, rest.at(-1)!];
        await appendEvents(trx, events, 'sync:test', time);
        return id;
      });
      // The same events written in full, as another run would store them: the bodies must match but for the ids.
      await test.store.db.transaction().execute((trx) => appendEvents(trx, explicit(runId), 'sync:test', time));
      const all = await eventsAfter(test.store.db, 0, 10_000);
      assert.equal(all.length, 3 + 2 * 452);
      const referenced = all.slice(3, 3 + 452);
      const full = all.slice(3 + 452);
      const withoutId = (body: string) => JSON.stringify({ ...(JSON.parse(body) as object), id: '' });
      assert.deepEqual(
        referenced.map((event) => withoutId(eventBody(event))),
        full.map((event) => withoutId(eventBody(event))),
      );
      assert.equal(referenced.filter((event) => (event.data as { disabled: boolean }).disabled).length, 5);
      assert.equal(new Set(all.map((event) => event.id)).size, all.length);
      assert.ok(referenced.every((event) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(event.id)));
      assert.ok(all.every((event, i) => i === 0 || event.seq > all[i - 1]!.seq));
      // Read again from any position (a deliverer's cursor), one at a time and through findEventAt: same ids.
      for (const cut of [2, 3, 150, 200, 201, 399, 400, 453]) {
        assert.deepEqual(await eventsAfter(test.store.db, all[cut]!.seq, 3), all.slice(cut + 1, cut + 4), `after event ${cut}`);
        assert.deepEqual(await findEventAt(test.store.db, all[cut]!.seq), all[cut]);
        assert.equal(await countEventsAfter(test.store.db, all[cut]!.seq), all.length - cut - 1, `left after event ${cut}`);
      }
      assert.equal(await lastEventPosition(test.store.db), all.at(-1)!.seq);
    });
  });
}

describe('migrations merged out of order', () => {
  it('applies a lower-numbered migration to a database that has later ones already', async () => {
    const test = await openTestStore('sqlite');
    // As if the database had been migrated before 0019 and 0020 were merged (after 0027 was).
    await sql`drop table webhook_failures`.execute(test.store.db);
    await sql`drop table webhooks`.execute(test.store.db);
    await sql`drop table events`.execute(test.store.db);
    await sql`alter table users drop column pending_deletion_since`.execute(test.store.db);
    await sql`delete from kysely_migration where name in ('0019_pending_deletion', '0020_events_and_webhooks')`.execute(test.store.db);
    await test.store.close();
    const reopened = await Store.open({ dataDir: test.dataDir });
    opened.push({ ...test, store: reopened });
    await reopened.db.transaction().execute((trx) => appendEvents(trx, created(1), 'cli'));
    assert.equal((await eventsAfter(reopened.db, 0, 10)).length, 1);
  });
});
