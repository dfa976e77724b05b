import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { Store } from '../../src/store/store.js';
import { appendEvents, countEventsAfter, eventsAfter, findEventAt, lastEventPosition, type NewEvent } from '../../src/store/events.js';
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
