import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSqlite } from '../../src/store/sqlite-driver.js';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { after, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { isRosterError } from '../../src/errors.js';
import type { User } from '../../src/model.js';
import { migrations } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { insertMany } from '../../src/store/bulk.js';
import { findRun, listRuns, recordRun } from '../../src/store/runs.js';
import { loadDirectorySettings, saveDirectorySettings } from '../../src/store/settings.js';
import { deleteUser, findUser, insertUser, listUsers, loadDigestSeed, storedDigests, updateUser, usersForPlanning } from '../../src/store/users.js';
import { syncDigest } from '../../src/digest.js';
import { BACKENDS, dropTestSchemas, openTestStore } from '../helpers/store.js';

after(dropTestSchemas);

const manual: User = {
  userName: 'Alice',
  fullName: 'Alice',
  emailAddresses: ['a@x.com'],
  source: 'manual',
  authentication: 'local',
  disabled: false,
  privileges: ['login'],
  archiveAccess: ['read'],
  dn: null,
  stableId: null,
};

for (const backend of BACKENDS) {
  describe(`store on ${backend}`, () => {
    it('creates, finds case-insensitively, updates and deletes users', async () => {
      const { store } = await openTestStore(backend);
      try {
        await insertUser(store.db, manual, 'hash');
        assert.deepEqual(await findUser(store.db, 'ALICE'), { ...manual, id: (await findUser(store.db, 'alice'))!.id });
        await assert.rejects(insertUser(store.db, { ...manual, userName: 'alice' }, null));
        await updateUser(store.db, 'alice', { privileges: ['login', 'admin'], disabled: true });
        const updated = (await listUsers(store.db))[0]!;
        assert.deepEqual(updated.privileges, ['login', 'admin']);
        assert.equal(updated.disabled, true);
        assert.equal(await deleteUser(store.db, 'Alice'), true);
        assert.equal(await deleteUser(store.db, 'Alice'), false);
      } finally {
        await store.close();
      }
    });

    it('bulk-inserts many rows with awkward values exactly, all or none', async () => {
      const { store } = await openTestStore(backend);
      try {
        const awkward = [
          'a"b',
          'c\\d',
          '{e,f}',
          'NULL',
          '\\N',
          '',
          'Zoë 🎉',
          "o'neil",
          ' spaced ',
          'tab\there',
          'two\nlines',
          'cr\r\n',
          '\\.',
          '\n\n',
          'back\\n\nslash',
          'tab\tand\nbreak',
        ];
        const rows = Array.from({ length: 1234 }, (_, i) => ({ key: `${awkward[i % awkward.length]}#${i}`, value: awkward[(i * 5) % awkward.length]!, updated_at: `t${i % 7}` }));
        let reported = 0;
        await insertMany(store.db, 'settings', rows, { afterBatch: (done) => (reported = done) });
        assert.equal(reported, rows.length);
        // A duplicate key fails the insert and so its transaction (a sync's): the new row before it is not kept.
        await assert.rejects(store.db.transaction().execute((trx) => insertMany(trx, 'settings', [{ key: 'new', value: 'x', updated_at: 't' }, rows[0]!])));
        const stored = await store.db.selectFrom('settings').select(['key', 'value', 'updated_at']).where('key', '!=', 'sync_digest_seed').execute();
        const line = (row: { key: string; value: string; updated_at: string }) => `${row.key}|${row.value}|${row.updated_at}`;
        assert.deepEqual(stored.map(line).sort(), rows.map(line).sort());
        await insertMany(store.db, 'users', [
          {
            user_name: 'n',
            user_name_key: 'n',
            full_name: '',
            email_addresses: '[]',
            source: 'directory',
            authentication: 'directory',
            disabled: 1,
            privileges: '[]',
            archive_access: '[]',
            dn: null,
            stable_id: null,
            sync_digest: null,
            password_hash: null,
            created_at: 't',
            updated_at: 't',
          },
        ]);
        assert.equal((await findUser(store.db, 'n'))?.disabled, true);
      } finally {
        await store.close();
      }
    });

    it('stores the directory password encrypted, and reads it back', async () => {
      const { store } = await openTestStore(backend);
      try {
        const settings = validateSettings({ preset: 'openldap', connection: { server: 'ldap.example.com', administrativeDn: 'cn=a,dc=x', password: 'S3cret-Directory-Pw' } });
        await saveDirectorySettings(store.db, store.secrets, settings);
        const raw = await store.db.selectFrom('settings').select('value').where('key', '=', 'directory').executeTakeFirstOrThrow();
        assert.doesNotMatch(raw.value, /S3cret-Directory-Pw/);
        assert.deepEqual(await loadDirectorySettings(store.db, store.secrets), settings);
      } finally {
        await store.close();
      }
    });

    it('records runs with their per-user changes', async () => {
      const { store } = await openTestStore(backend);
      try {
        const changes = Array.from({ length: 1200 }, (_, i) => ({ userName: `u${i}`, action: 'created' as const, detail: { dn: `uid=u${i}` } }));
        const id = await recordRun(
          store.db,
          {
            startedAt: new Date().toISOString(),
            trigger: 'test',
            status: 'committed',
            settingsFingerprint: 'f',
            durationMs: 5,
            counts: { created: 1200, updated: 0, deleted: 0, outOfScope: 0, unchanged: 0 },
            warnings: ['w'],
          },
          changes,
        );
        const run = await findRun(store.db, id);
        assert.deepEqual(run!.changes, changes);
        assert.equal((await listRuns(store.db))[0]!.counts.created, 1200);
      } finally {
        await store.close();
      }
    });

    it('lets one holder at a time take the sync lock', async () => {
      const { store } = await openTestStore(backend);
      try {
        const held = await store.acquireSyncLock();
        await assert.rejects(store.acquireSyncLock(), (error) => isRosterError(error, 'SYNC_ALREADY_RUNNING'));
        await held.release();
        const again = await store.acquireSyncLock();
        await again.release();
      } finally {
        await store.close();
      }
    });

    if (backend === 'postgres') {
      it('stores the run history compressed with lz4 where the server has it (migration 0008)', async () => {
        const { store } = await openTestStore(backend);
        try {
          const available = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(store.db);
          const column = await sql<{
            method: string;
          }>`select attcompression as method from pg_attribute where attrelid = 'sync_run_change_pages'::regclass and attname = 'changes'`.execute(store.db);
          assert.equal(column.rows[0]?.method, available.rows[0]?.lz4 ? 'l' : '');
        } finally {
          await store.close();
        }
      });
    }
  });
}

describe('store upgrades', () => {
  it('carries existing users and run history over to the packed formats and digests (migrations 0005, 0006, 0009)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-upgrade-'));
    const sqlite = new (loadSqlite())(join(dataDir, 'roster.db'));
    const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database: sqlite }) });
    const { error } = await new Migrator({ db, provider: migrations('sqlite') }).migrateTo('0004_drop_unused_user_indexes');
    assert.equal(error, undefined);
    await db
      .insertInto('users')
      .values({
        user_name: 'bob',
        user_name_key: 'bob',
        full_name: 'Bob',
        email_addresses: '["bob@x.com"]',
        source: 'directory',
        authentication: 'directory',
        disabled: 0,
        privileges: '["login"]',
        archive_access: '[]',
        dn: 'uid=bob,dc=x',
        dn_key: 'uid=bob,dc=x',
        stable_id: 'entryUUID:b',
        created_at: 't',
        updated_at: 't',
      })
      .execute();
    await db.insertInto('sync_runs').values({ started_at: 't', trigger: 'cli', status: 'committed', settings_fingerprint: 'f' }).execute();
    const old = Array.from({ length: 501 }, (_, seq) => ({ run_id: 1, seq, user_name: `u${seq}`, action: 'created', detail: JSON.stringify({ dn: `uid=u${seq}` }) }));
    for (const row of old) await db.insertInto('sync_run_changes').values(row).execute();
    await db.destroy();

    const store = await Store.open({ dataDir });
    try {
      const run = await findRun(store.db, 1);
      assert.deepEqual(
        run!.changes,
        old.map((row) => ({ userName: row.user_name, action: 'created', detail: JSON.parse(row.detail) as unknown })),
      );
      const [bob] = await usersForPlanning(store.db);
      const { syncDigest: _digest, ...bobFields } = bob!;
      assert.deepEqual(bobFields, {
        userName: 'bob',
        source: 'directory',
        stableId: 'entryUUID:b',
        fullName: 'Bob',
        emailAddresses: ['bob@x.com'],
        dn: 'uid=bob,dc=x',
        disabled: false,
      });
      // Migration 0009: a seed, and the digest of the existing directory user (0005 had packed its fields) in place of the
      // packed image: the field-by-field comparison is skipped for it.
      const seed = await loadDigestSeed(store.db);
      const fields = { userName: 'bob', stableId: 'entryUUID:b', fullName: 'Bob', emailAddresses: ['bob@x.com'], dn: 'uid=bob,dc=x', disabled: false };
      const stored = await storedDigests(store.db);
      assert.deepEqual([...stored.digests], [syncDigest(seed!, fields)]);
      assert.deepEqual(await usersForPlanning(store.db, []), []);
      // An administrator's edit of a synced field drops the digest: the next sync compares that user field by field.
      await updateUser(store.db, 'bob', { fullName: 'Robert' });
      assert.equal((await storedDigests(store.db)).digests.length, 0);
      assert.deepEqual(
        (await usersForPlanning(store.db, [])).map((user) => user.userName),
        ['bob'],
      );
    } finally {
      await store.close();
    }
  });
});
