import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { describe, it } from 'node:test';
import { findChangePage } from '../../src/store/run-changes.js';
import { findRunRecord } from '../../src/store/runs.js';
import { findUserPage } from '../../src/store/user-pages.js';
import { migrations } from '../../src/store/migrations.js';
import { loadSqlite } from '../../src/store/sqlite-driver.js';
import { Store } from '../../src/store/store.js';

describe('store upgrades, unordered', () => {
  it('applies 0016-0018 to a database that ran later-numbered migrations first, filling the search text and the change index', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-unordered-'));
    // The build this runtime loads (better-sqlite3 12 on Node 20, 13 on 22 and later: src/store/sqlite-driver.ts).
    const sqlite = new (loadSqlite())(join(dataDir, 'roster.db'));
    const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database: sqlite }) });
    // A database migrated by a release without this branch's migrations, but with higher-numbered ones.
    const all = await migrations('sqlite').getMigrations();
    const earlier = Object.fromEntries(Object.entries(all).filter(([name]) => !/^001[678]_/.test(name)));
    assert.ok(
      Object.keys(earlier).some((name) => name > '0018'),
      'a later-numbered migration exists',
    );
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    assert.equal(error, undefined);
    await db
      .insertInto('users')
      .values({
        user_name: 'Jürgen',
        user_name_key: 'jürgen',
        full_name: 'JÜRGEN Übel',
        email_addresses: '["J.Uebel@Example.com"]',
        source: 'manual',
        authentication: 'local',
        disabled: 0,
        privileges: '["login"]',
        archive_access: '[]',
        created_at: 't',
        updated_at: 't',
      })
      .execute();
    await db
      .insertInto('sync_runs')
      .values({ started_at: 't', trigger: 'cli', status: 'committed', settings_fingerprint: 'f', duration_ms: 1, counts: '{}', warnings: '[]' })
      .execute();
    const changes = [
      { userName: 'Alpha', action: 'created', detail: {} },
      { userName: 'Beta', action: 'deleted', detail: { reason: 'gone' } },
    ];
    await db
      .insertInto('sync_run_change_pages')
      .values({ run_id: 1, page: 0, changes: JSON.stringify(changes) })
      .execute();
    await db.destroy();

    const store = await Store.open({ dataDir });
    try {
      assert.deepEqual(
        (await findUserPage(store.db, { q: 'übel', limit: 10 })).users.map((user) => user.userName),
        ['Jürgen'],
      );
      assert.equal((await findUserPage(store.db, { q: 'j.uebel@', limit: 10 })).total, 1);
      const page = await findChangePage(store.db, 1, { action: 'deleted', limit: 10 });
      assert.deepEqual([page.total, page.changes[0]?.userName, page.changes[0]?.seq], [1, 'Beta', 1]);
      assert.equal((await findRunRecord(store.db, 1))?.mode, 'full');
    } finally {
      await store.close();
    }
  });
});
