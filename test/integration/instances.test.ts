/**
 * The pieces several instances on one database rely on, on SQLite and PostgreSQL: the sync lock's lease and
 * take-over, the fence before a commit, the claim on a scheduled tick, and who holds what (for /api/health).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import pg from 'pg';
import { after, describe, it } from 'node:test';
import { clusterStatus } from '../../src/admin/cluster.js';
import { isRosterError } from '../../src/errors.js';
import { LEASE_MS } from '../../src/store/lock.js';
import { recordRun } from '../../src/store/runs.js';
import { claimScheduledTick } from '../../src/store/schedule-claims.js';
import { Store } from '../../src/store/store.js';
import { BACKENDS, dropTestSchemas, openTestStore, POSTGRES, type TestStore } from '../helpers/store.js';

after(dropTestSchemas);

/** A second process's view of the same database, under its own instance name. */
function sibling(test: TestStore, instance: string): Promise<Store> {
  return Store.open({ dataDir: test.dataDir, databaseUrl: test.databaseUrl, instance });
}

/** The pid of a process that has just exited: on this host, its death can be seen. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function plantLock(store: Store, holder: { host: string; pid: number; expiresAt: number; instance: string }): Promise<void> {
  await store.db
    .insertInto('locks')
    .values({
      name: 'directory-sync',
      owner: 'planted',
      instance: holder.instance,
      host: holder.host,
      pid: holder.pid,
      acquired_at: Date.now() - 1000,
      expires_at: holder.expiresAt,
    })
    .execute();
}

const NEW_RUN = {
  trigger: 'schedule',
  status: 'committed' as const,
  settingsFingerprint: 'f',
  durationMs: 5,
  counts: { created: 0, updated: 0, deleted: 0, outOfScope: 0, unchanged: 0 },
  warnings: [],
};

for (const backend of BACKENDS) {
  describe(`several instances on one ${backend} database`, () => {
    it('names the holder of the sync lock and since when, and frees it on release', async () => {
      const test = await openTestStore(backend);
      const other = await sibling(test, 'node-b');
      try {
        const before = Date.now();
        const held = await other.acquireSyncLock();
        const status = await clusterStatus(test.store);
        assert.equal(status.syncLock?.instance, 'node-b');
        assert.equal(status.syncLock?.pid, process.pid);
        assert.ok(Date.parse(status.syncLock!.since) >= before - 5 && Date.parse(status.syncLock!.since) <= Date.now());
        assert.equal(Date.parse(status.syncLock!.leaseEndsAt) - Date.parse(status.syncLock!.since), LEASE_MS);
        await assert.rejects(test.store.acquireSyncLock(), (error) => isRosterError(error, 'SYNC_ALREADY_RUNNING') && /instance node-b/.test(error.message));
        await held.release();
        assert.equal((await clusterStatus(test.store)).syncLock, null);
      } finally {
        await other.close();
        await test.store.close();
      }
    });

    it('waits for the lease of a holder on another host, and takes the lock over when it ends', async () => {
      const test = await openTestStore(backend);
      try {
        await plantLock(test.store, { host: 'elsewhere.example', pid: process.pid, expiresAt: Date.now() + LEASE_MS, instance: 'remote' });
        await assert.rejects(test.store.acquireSyncLock(), (error) => isRosterError(error, 'SYNC_ALREADY_RUNNING'));
        await test.store.db
          .updateTable('locks')
          .set({ expires_at: Date.now() - 1 })
          .execute();
        const held = await test.store.acquireSyncLock();
        assert.equal((await clusterStatus(test.store)).syncLock?.instance, test.store.instance);
        await held.release();
      } finally {
        await test.store.close();
      }
    });

    it('takes the lock over at once from a dead holder on this host, lease or not', async () => {
      const test = await openTestStore(backend);
      try {
        await plantLock(test.store, { host: hostname(), pid: deadPid(), expiresAt: Date.now() + LEASE_MS, instance: 'killed' });
        const held = await test.store.acquireSyncLock();
        assert.equal((await clusterStatus(test.store)).syncLock?.instance, test.store.instance);
        await held.release();
      } finally {
        await test.store.close();
      }
    });

    it('commits nothing once the lock was taken over from under a run (SYNC_LOCK_LOST)', async () => {
      const test = await openTestStore(backend);
      const other = await sibling(test, 'node-b');
      try {
        const held = await test.store.acquireSyncLock();
        // The lease ran out (a stalled holder) and a sibling took the lock over.
        await test.store.db
          .updateTable('locks')
          .set({ expires_at: Date.now() - 1 })
          .execute();
        const taken = await other.acquireSyncLock();
        await assert.rejects(
          test.store.db.transaction().execute(async (trx) => {
            await recordRun(trx, { ...NEW_RUN, startedAt: new Date().toISOString(), instance: test.store.instance });
            await held.confirm(trx);
          }),
          (error) => isRosterError(error, 'SYNC_LOCK_LOST'),
        );
        assert.equal((await test.store.db.selectFrom('sync_runs').select('id').execute()).length, 0, 'the transaction was rolled back');
        await held.release();
        assert.equal((await clusterStatus(test.store)).syncLock?.instance, 'node-b', "releasing a lost lock leaves the new holder's");
        await taken.release();
      } finally {
        await other.close();
        await test.store.close();
      }
    });

    it('gives each scheduled tick to exactly one of many instances claiming it at once', async () => {
      const test = await openTestStore(backend);
      const siblings = await Promise.all(['a', 'b', 'c', 'd'].map((name) => sibling(test, name)));
      try {
        const tick = Date.parse('2026-11-27T12:00:01Z');
        for (const at of [tick, tick + 1000, tick + 2000]) {
          const claims = await Promise.all(siblings.map((store) => claimScheduledTick(store.db, 'directory-sync', at, store.instance)));
          assert.equal(claims.filter(Boolean).length, 1, `tick ${at}: ${claims.join(',')}`);
        }
        assert.equal(await claimScheduledTick(test.store.db, 'directory-sync', tick + 1000, 'late'), false, 'an older tick is never claimed again');
      } finally {
        await Promise.all(siblings.map((store) => store.close()));
        await test.store.close();
      }
    });

    it('says which instance committed the last scheduled run, and when', async () => {
      const test = await openTestStore(backend);
      try {
        assert.equal((await clusterStatus(test.store)).lastScheduledSync, null);
        const started = new Date().toISOString();
        const id = await recordRun(test.store.db, { ...NEW_RUN, startedAt: started, instance: 'node-a' });
        await recordRun(test.store.db, { ...NEW_RUN, status: 'refused', startedAt: started, instance: 'node-b' });
        await recordRun(test.store.db, { ...NEW_RUN, trigger: 'cli', startedAt: started, instance: 'node-c' });
        const last = (await clusterStatus(test.store)).lastScheduledSync;
        assert.equal(last?.runId, id);
        assert.equal(last?.instance, 'node-a');
        assert.ok(Date.parse(last!.committedAt) >= Date.parse(started));
      } finally {
        await test.store.close();
      }
    });
  });
}

describe('start-up on a PostgreSQL database that other sessions change', () => {
  it('migrates a fresh schema while other sessions create and drop schemas of their own', async () => {
    // Kysely's Migrator listed the tables of every schema; a schema dropped meanwhile failed 9 of 30 migrations
    // with "schema … does not exist" in this very setting (store/introspector.ts).
    let stop = false;
    const churn = async (id: number) => {
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      for (let round = 0; !stop; round++) {
        const schema = `roster_test_${process.pid}_churn${id}_${round % 4}`;
        const tables = Array.from({ length: 20 }, (_, index) => `create table ${schema}.t${index} (id serial primary key, a text);`).join(' ');
        await client.query(`create schema ${schema}; ${tables}`);
        await client.query(`drop schema ${schema} cascade`);
      }
      await client.end();
    };
    const churners = [churn(1), churn(2), churn(3)];
    const failures: string[] = [];
    try {
      for (let attempt = 0; attempt < 15; attempt++) {
        const test = await openTestStore('postgres').catch((error: Error) => (failures.push(error.message), undefined));
        await test?.store.close();
      }
    } finally {
      stop = true;
      await Promise.all(churners);
    }
    assert.deepEqual(failures, []);
  });
});
