import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { randomBytes } from 'node:crypto';
import { digester, parseDigestSeed } from '../digest.js';
import type { Dialect } from './db.js';
import { changeIndexOf } from './run-changes.js';
import { CHANGES_PER_PAGE, type RunChange } from './runs.js';
import type { Database } from './schema.js';
import { refreshSearchText } from './user-search.js';
import { DIGEST_SEED_KEY, writeSyncDigests } from './users.js';

/** Migrations live in code, keyed by an ordered name; applied once each, in a transaction, at start-up. */
export function migrations(dialect: Dialect): MigrationProvider {
  const identity = dialect === 'postgres' ? 'serial' : 'integer';
  const all: Record<string, Migration> = {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', identity, (column) => (dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement()))
          .addColumn('user_name', 'text', (column) => column.notNull())
          .addColumn('user_name_key', 'text', (column) => column.notNull().unique())
          .addColumn('full_name', 'text', (column) => column.notNull().defaultTo(''))
          .addColumn('email_addresses', 'text', (column) => column.notNull().defaultTo('[]'))
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('authentication', 'text', (column) => column.notNull())
          .addColumn('disabled', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('privileges', 'text', (column) => column.notNull().defaultTo('[]'))
          .addColumn('archive_access', 'text', (column) => column.notNull().defaultTo('[]'))
          .addColumn('dn', 'text')
          .addColumn('dn_key', 'text')
          .addColumn('stable_id', 'text')
          .addColumn('password_hash', 'text')
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .execute();
        await db.schema.createIndex('users_stable_id').on('users').column('stable_id').execute();
        await db.schema.createIndex('users_dn_key').on('users').column('dn_key').execute();
        await db.schema
          .createTable('groups')
          .addColumn('dn_key', 'text', (column) => column.primaryKey())
          .addColumn('dn', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('description', 'text', (column) => column.notNull().defaultTo(''))
          .addColumn('selected', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('direct_users', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('direct_groups', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('group_members')
          .addColumn('group_dn_key', 'text', (column) => column.notNull())
          .addColumn('user_name_key', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('group_members_pk', ['group_dn_key', 'user_name_key'])
          .execute();
        await db.schema.createIndex('group_members_user').on('group_members').column('user_name_key').execute();
        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (column) => column.primaryKey())
          .addColumn('value', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .execute();
        await db.schema
          .createTable('sync_runs')
          .addColumn('id', identity, (column) => (dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement()))
          .addColumn('started_at', 'text', (column) => column.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('trigger', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('settings_fingerprint', 'text', (column) => column.notNull())
          .addColumn('duration_ms', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('counts', 'text', (column) => column.notNull().defaultTo('{}'))
          .addColumn('warnings', 'text', (column) => column.notNull().defaultTo('[]'))
          .execute();
        await db.schema
          .createTable('sync_run_changes')
          .addColumn('run_id', 'integer', (column) => column.notNull())
          .addColumn('seq', 'integer', (column) => column.notNull())
          .addColumn('user_name', 'text', (column) => column.notNull())
          .addColumn('action', 'text', (column) => column.notNull())
          .addColumn('detail', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('sync_run_changes_pk', ['run_id', 'seq'])
          .execute();
        await db.schema
          .createTable('locks')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('owner', 'text', (column) => column.notNull())
          .addColumn('host', 'text', (column) => column.notNull())
          .addColumn('pid', 'integer', (column) => column.notNull())
          .addColumn('expires_at', sql`bigint`, (column) => column.notNull())
          .execute();
      },
    },
    '0002_login_attempts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('login_attempts')
          .addColumn('key', 'text', (column) => column.primaryKey())
          .addColumn('failures', 'integer', (column) => column.notNull())
          .addColumn('first_failure_at', sql`bigint`, (column) => column.notNull())
          .addColumn('last_failure_at', sql`bigint`, (column) => column.notNull())
          .addColumn('blocked_until', sql`bigint`, (column) => column.notNull().defaultTo(0))
          .execute();
      },
    },
    '0003_sessions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (column) => column.primaryKey())
          .addColumn('user_name_key', 'text', (column) => column.notNull())
          .addColumn('csrf_token', 'text', (column) => column.notNull())
          .addColumn('created_at', sql`bigint`, (column) => column.notNull())
          .addColumn('expires_at', sql`bigint`, (column) => column.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_name_key').execute();
      },
    },
    // Nothing looks users up by stable id or DN (planning loads them all; logins go by name), and the two
    // indexes made a 100,000-user first sync spend a third of its insert time maintaining them.
    '0004_drop_unused_user_indexes': {
      async up(db: Kysely<unknown>) {
        await db.schema.dropIndex('users_stable_id').ifExists().execute();
        await db.schema.dropIndex('users_dn_key').ifExists().execute();
      },
    },
    '0005_synced_image': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('users').addColumn('synced_image', 'text').execute();
        // Filled here for existing directory users: the sync only writes it for users whose entry changed.
        const typed = db as unknown as Kysely<Database>;
        const rows = await typed.selectFrom('users').select(['id', 'full_name', 'email_addresses', 'dn', 'disabled']).where('source', '=', 'directory').execute();
        for (const row of rows) {
          // The packed form of the synced fields of that time (superseded by the sync digest, 0009).
          const image = JSON.stringify([row.full_name, JSON.parse(row.email_addresses) as string[], row.dn, row.disabled === 1]);
          await sql`update users set synced_image = ${image} where id = ${row.id}`.execute(db);
        }
      },
    },
    '0006_run_change_pages': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('sync_run_change_pages')
          .addColumn('run_id', 'integer', (column) => column.notNull())
          .addColumn('page', 'integer', (column) => column.notNull())
          .addColumn('changes', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('sync_run_change_pages_pk', ['run_id', 'page'])
          .execute();
        // Existing history is carried over: the rows of each run, in order, regrouped into pages.
        const old = db as unknown as Kysely<{ sync_run_changes: { run_id: number; seq: number; user_name: string; action: string; detail: string } }>;
        const typed = db as unknown as Kysely<Database>;
        const rows = await old.selectFrom('sync_run_changes').selectAll().orderBy('run_id').orderBy('seq').execute();
        let page: Array<{ userName: string; action: string; detail: unknown }> = [];
        let pageNumber = 0;
        for (let index = 0; index < rows.length; index++) {
          const row = rows[index]!;
          page.push({ userName: row.user_name, action: row.action, detail: JSON.parse(row.detail) as unknown });
          const runEnds = rows[index + 1]?.run_id !== row.run_id;
          if (page.length === CHANGES_PER_PAGE || runEnds) {
            await typed
              .insertInto('sync_run_change_pages')
              .values({ run_id: row.run_id, page: pageNumber++, changes: JSON.stringify(page) })
              .execute();
            page = [];
          }
          if (runEnds) pageNumber = 0;
        }
        await db.schema.dropTable('sync_run_changes').execute();
      },
    },
    // The normalized DN was kept for planning, which now reads the packed fields and normalizes DNs only when an
    // entry is not found by its stable id: nothing reads the column any more.
    '0007_drop_dn_key': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('users').dropColumn('dn_key').execute();
      },
    },
    // PostgreSQL compresses the history pages (~40 KB each) as it stores them; with its default, pglz, that was a
    // tenth of a first sync on PostgreSQL, and lz4 (PostgreSQL 14+, when built with it) took 0.1-0.15 s less for
    // the same size. Servers without lz4 keep their default; SQLite does not compress.
    '0008_history_lz4': {
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
        if (rows[0]?.lz4) await sql`alter table sync_run_change_pages alter column changes set compression lz4`.execute(db);
      },
    },
    // The seed that keys every sync digest, random per database; digests for the existing directory users whose packed
    // image (0005) said they were as last synced. The digest takes the image's place, so the image column goes.
    '0009_sync_digest': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('users').addColumn('sync_digest', 'bigint').execute();
        // A re-sync reads the digests, and the users without one, through these two: a few MB, not the 80 MB table.
        // SQLite only: PostgreSQL answers the digest query by a scan as fast, and its index-only scans wait for a
        // vacuum; the index cost a first sync of 100,000 users 120-180 ms of PostgreSQL's time.
        if (dialect === 'sqlite') {
          await db.schema.createIndex('users_sync_digest').on('users').columns(['id', 'sync_digest']).where(sql.ref('sync_digest'), 'is not', null).execute();
        }
        await db.schema.createIndex('users_without_digest').on('users').column('id').where(sql.ref('sync_digest'), 'is', null).execute();
        const typed = db as unknown as Kysely<Database>;
        const seedText = randomBytes(8).toString('hex');
        await typed.insertInto('settings').values({ key: DIGEST_SEED_KEY, value: seedText, updated_at: new Date().toISOString() }).execute();
        const digest = digester(parseDigestSeed(seedText));
        const rows = await typed
          .selectFrom('users')
          .select(['id', 'user_name', 'stable_id', 'full_name', 'email_addresses', 'dn', 'disabled'])
          .where('source', '=', 'directory')
          .where(sql.ref('synced_image'), 'is not', null)
          .execute();
        await writeSyncDigests(
          typed,
          rows.map((row) => ({
            key: row.id,
            digest: digest({
              userName: row.user_name,
              stableId: row.stable_id,
              fullName: row.full_name,
              emailAddresses: JSON.parse(row.email_addresses) as string[],
              dn: row.dn,
              disabled: row.disabled === 1,
            }),
          })),
        );
        await db.schema.alterTable('users').dropColumn('synced_image').execute();
      },
    },
    // Nothing looks memberships up by user any more (a sync rewrites them whole); the index cost a first sync of
    // 100,000 users about 0.1 s of PostgreSQL's time.
    '0010_drop_group_members_user': {
      async up(db: Kysely<unknown>) {
        await db.schema.dropIndex('group_members_user').ifExists().execute();
      },
    },
    // A group's members as a list in its row instead of a row per membership (store/groups.ts). The stored groups
    // fingerprint goes with the old rows, so the next sync writes the groups and their members anew.
    '0011_group_members_in_groups': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('groups')
          .addColumn('members', 'text', (column) => column.notNull().defaultTo('[]'))
          .execute();
        await db.schema.dropTable('group_members').execute();
        await sql`delete from settings where key = 'groups-fingerprint'`.execute(db);
      },
    },
    // Sessions belong to the user's row id, which a rename keeps and nobody else ever gets (issue #12: a session
    // that followed the name acted as whoever held the name next). Existing sessions are carried over to the id of
    // the user now holding their name; the name key stays, for the record, but nothing looks sessions up by it.
    '0012_sessions_user_id': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('sessions').addColumn('user_id', 'integer').execute();
        await sql`update sessions set user_id = (select users.id from users where users.user_name_key = sessions.user_name_key)`.execute(db);
        await sql`delete from sessions where user_id is null`.execute(db);
        await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
      },
    },
    // Browsers that logged a user on before (issue #12's lockout design, auth/devices.ts): their attempts are
    // counted per device instead of per user name, so a burst against the name does not lock them out.
    '0013_trusted_devices': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('trusted_devices')
          .addColumn('token_hash', 'text', (column) => column.primaryKey())
          .addColumn('user_id', 'integer', (column) => column.notNull())
          .addColumn('created_at', sql`bigint`, (column) => column.notNull())
          .addColumn('expires_at', sql`bigint`, (column) => column.notNull())
          .execute();
        await db.schema.createIndex('trusted_devices_user_id').on('trusted_devices').column('user_id').execute();
      },
    },
    // How a run read the directory (DESIGN §5): "full" or "incremental" (and "single" for one user), and for a full
    // run why it was one. Shared with the admin-scale branch under the same name, so the two merge into one.
    '0016_run_mode': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('sync_runs')
          .addColumn('mode', 'text', (column) => column.notNull().defaultTo('full'))
          .execute();
        await db.schema.alterTable('sync_runs').addColumn('mode_reason', 'text').execute();
      },
    },
    // The directory image and the change-tracking cookie of incremental runs (store/change-tracking.ts).
    '0023_change_tracking': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('directory_image')
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('uuid', 'text', (column) => column.notNull())
          .addColumn('dn', 'text', (column) => column.notNull())
          .addColumn('attributes', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('directory_image_key', ['kind', 'uuid'])
          .execute();
        await db.schema
          .createTable('change_tracking')
          .addColumn('id', 'integer', (column) => column.primaryKey())
          .addColumn('settings_fingerprint', 'text', (column) => column.notNull())
          .addColumn('state', 'text', (column) => column.notNull())
          .addColumn('last_full_run_at', 'text', (column) => column.notNull())
          .addColumn('local_mark', 'text', (column) => column.notNull())
          .addColumn('summary', 'text', (column) => column.notNull())
          .execute();
      },
    },
    // The normalized DN of each image entry (rfc/dn.ts dnKey), indexed: an incremental run loads only the entries a
    // change can reach, by syncUUID or by the DN a changed group lists (directory/image-delta.ts). Images stored
    // before have none: they are dropped with their cookie, and the next run is a full one that stores them again.
    '0030_image_dn_key': {
      async up(db: Kysely<unknown>) {
        const typed = db as unknown as Kysely<Database>;
        await typed.deleteFrom('directory_image').execute();
        await typed.deleteFrom('change_tracking').execute();
        await db.schema
          .alterTable('directory_image')
          .addColumn('dn_key', 'text', (column) => column.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('directory_image_dn_key').on('directory_image').columns(['kind', 'dn_key']).execute();
      },
    },
    // Several instances on one database (issue #16): who holds the sync lock and since when, which instance
    // recorded a run, and the claim on each scheduled tick, so one tick runs once cluster-wide.
    '0015_instances': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('locks')
          .addColumn('instance', 'text', (column) => column.notNull().defaultTo(''))
          .execute();
        await db.schema
          .alterTable('locks')
          .addColumn('acquired_at', sql`bigint`, (column) => column.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('sync_runs').addColumn('instance', 'text').execute();
        // /api/health asks for the last scheduled commit at every probe; without it, a scan of the history.
        await db.schema.createIndex('sync_runs_trigger_status').on('sync_runs').columns(['trigger', 'status', 'id']).execute();
        await db.schema
          .createTable('schedule_claims')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('tick', sql`bigint`, (column) => column.notNull())
          .addColumn('instance', 'text', (column) => column.notNull())
          .addColumn('claimed_at', sql`bigint`, (column) => column.notNull())
          .execute();
      },
    },
    // The search continuation references a run's read met (subtrees not read), reported quietly or not: the run
    // record keeps them, since quiet ones leave no warning behind.
    '0027_run_unread_subtrees': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('sync_runs')
          .addColumn('unread_subtrees', 'text', (column) => column.notNull().defaultTo('[]'))
          .execute();
      },
    },
    // options.deleteAfter: a directory user who left the scope waits here, disabled, until the grace period passes.
    // Such users carry no sync digest (the run that marks them clears it), so every re-sync loads and checks them.
    '0019_pending_deletion': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('users').addColumn('pending_deletion_since', 'text').execute();
      },
    },
    // Change events and the webhooks that deliver them. A first sync writes 100,000 events, so they are stored a page
    // per row, like a run's changes (store/events.ts); deliverers read forward by page.
    '0020_events_and_webhooks': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('events')
          .addColumn('seq', identity, (column) => (dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement()))
          .addColumn('size', 'integer', (column) => column.notNull())
          .addColumn('events', 'text', (column) => column.notNull())
          .execute();
        if (dialect === 'postgres') {
          const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
          if (rows[0]?.lz4) await sql`alter table events alter column events set compression lz4`.execute(db);
        }
        await db.schema
          .createTable('webhooks')
          .addColumn('id', identity, (column) => (dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement()))
          .addColumn('url', 'text', (column) => column.notNull())
          .addColumn('secret', 'text', (column) => column.notNull())
          .addColumn('events', 'text', (column) => column.notNull().defaultTo('[]'))
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('cursor', 'bigint', (column) => column.notNull().defaultTo(0))
          .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('first_failure_at', 'bigint')
          .addColumn('next_attempt_at', 'bigint', (column) => column.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint', (column) => column.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('webhook_failures')
          .addColumn('webhook_id', 'integer', (column) => column.notNull())
          .addColumn('event_seq', 'bigint', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('last_error', 'text', (column) => column.notNull())
          .addColumn('failed_at', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('webhook_failures_pk', ['webhook_id', 'event_seq'])
          .execute();
      },
    },
    // DESIGN §5: reports and run records carry their mode. Written identically on the incremental branch (which
    // adds "incremental" and the reason), so the two merge to one migration.
    // What user searches look in (store/user-search.ts), filled for the users already stored.
    '0017_user_search_text': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('users')
          .addColumn('search_text', 'text', (column) => column.notNull().defaultTo(''))
          .execute();
        const typed = db as unknown as Kysely<Database>;
        const ids = (await typed.selectFrom('users').select('id').execute()).map((row) => row.id);
        await refreshSearchText(typed, ids, 'id');
      },
    },
    // The per-page index of a run's changes (run-changes.ts), built for the history already stored.
    '0018_run_change_index': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('sync_run_change_pages')
          .addColumn('actions', 'text', (column) => column.notNull().defaultTo(''))
          .execute();
        await db.schema
          .alterTable('sync_run_change_pages')
          .addColumn('names', 'text', (column) => column.notNull().defaultTo(''))
          .execute();
        const typed = db as unknown as Kysely<Database>;
        const keys = await typed.selectFrom('sync_run_change_pages').select(['run_id', 'page']).execute();
        for (const key of keys) {
          const row = await typed.selectFrom('sync_run_change_pages').select('changes').where('run_id', '=', key.run_id).where('page', '=', key.page).executeTakeFirstOrThrow();
          await typed
            .updateTable('sync_run_change_pages')
            .set(changeIndexOf(JSON.parse(row.changes) as RunChange[]))
            .where('run_id', '=', key.run_id)
            .where('page', '=', key.page)
            .execute();
        }
      },
    },
  };
  return { getMigrations: async () => all };
}
