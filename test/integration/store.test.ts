import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { isRosterError } from '../../src/errors.js';
import type { User } from '../../src/model.js';
import { findRun, listRuns, recordRun } from '../../src/store/runs.js';
import { loadDirectorySettings, saveDirectorySettings } from '../../src/store/settings.js';
import { deleteUser, findUser, insertUser, listUsers, updateUser } from '../../src/store/users.js';
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
        assert.deepEqual(await findUser(store.db, 'ALICE'), { ...manual, id: (await findUser(store.db, 'alice'))!.id, dnKey: null });
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
        assert.equal(run!.changes.length, 1200);
        assert.deepEqual(run!.changes[1199], changes[1199]);
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
  });
}
