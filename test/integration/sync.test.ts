import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { DirectorySettings } from '../../src/config/schema.js';
import { isRosterError } from '../../src/errors.js';
import { dnKey } from '../../src/rfc/dn.js';
import { listRuns } from '../../src/store/runs.js';
import { findUser, insertUser, listUsers, storedDigests, updateUser, usersForPlanning } from '../../src/store/users.js';
import { runSync, previewSync } from '../../src/sync/run.js';
import { findUserPage } from '../../src/store/user-pages.js';
import { readDirectory } from '../../src/directory/read.js';
import { localUsersForPlan } from '../../src/sync/local-users.js';
import { planSync } from '../../src/sync/plan.js';
import { GROUPS, OPENLDAP_BASE, PEOPLE, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

const opened: TestStore[] = [];
afterEach(async () => {
  for (const test of opened.splice(0)) await test.store.close();
});

async function setup(
  backend: (typeof BACKENDS)[number],
  overrides: Record<string, unknown> = {},
): Promise<{ directory: TestDirectory; test: TestStore; settings: DirectorySettings }> {
  const directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  const test = await openTestStore(backend);
  opened.push(test);
  return { directory, test, settings: openLdapSettings(directory, { groups: { groups: ['MailStore Users'] }, ...overrides }) };
}

async function removeMemberUid(directory: TestDirectory, group: string, uid: string): Promise<void> {
  const client = await adminClient(directory);
  await client.modify(`cn=${group},${GROUPS}`, { operation: 'delete', type: 'memberUid', values: [uid] });
  await client.unbind();
}

const sync = (test: TestStore, settings: DirectorySettings, extra: Partial<Parameters<typeof runSync>[2]> = {}) => runSync(test.store, settings, { trigger: 'test', ...extra });

for (const backend of BACKENDS) {
  describe(`Synchronize now on ${backend}`, () => {
    it('creates the users in scope with the default privileges, and a second run changes nothing', async () => {
      const { test, settings } = await setup(backend, { defaultPrivileges: { privileges: ['login', 'archive'], archiveAccess: ['read', 'write'] } });
      const first = await sync(test, settings);
      assert.equal(first.committed, true);
      assert.deepEqual(first.users.created.map((user) => user.userName).sort(), ['alice', 'bob', 'carol']);
      const alice = (await findUser(test.store.db, 'alice'))!;
      assert.deepEqual(
        { source: alice.source, authentication: alice.authentication, privileges: alice.privileges, archiveAccess: alice.archiveAccess },
        { source: 'directory', authentication: 'directory', privileges: ['login', 'archive'], archiveAccess: ['read', 'write'] },
      );
      // Each created user got its digest, so the second run finds them all unchanged without loading them.
      assert.equal((await storedDigests(test.store.db)).digests.length, 3);
      const rowsBefore = await test.store.db.selectFrom('users').select(['user_name', 'updated_at']).orderBy('user_name').execute();
      const second = await sync(test, settings);
      assert.deepEqual([second.users.created.length, second.users.updated.length, second.users.deleted.length, second.users.unchanged], [0, 0, 0, 3]);
      assert.deepEqual(await test.store.db.selectFrom('users').select(['user_name', 'updated_at']).orderBy('user_name').execute(), rowsBefore);
      const runs = await listRuns(test.store.db);
      assert.deepEqual(
        runs.map((run) => run.status),
        ['committed', 'committed'],
      );
    });

    it('updates changed attributes but never the privileges an administrator set', async () => {
      const { directory, test, settings } = await setup(backend);
      await sync(test, settings);
      await updateUser(test.store.db, 'bob', { privileges: ['login', 'admin'] });
      const client = await adminClient(directory);
      await client.modify(`uid=bob,${PEOPLE}`, [
        { operation: 'replace', type: 'displayName', values: ['Bob Builder'] },
        { operation: 'replace', type: 'mail', values: ['robert@example.com'] },
      ]);
      await client.unbind();
      const report = await sync(test, settings);
      assert.deepEqual(report.users.updated, [
        {
          userName: 'bob',
          changes: { fullName: { from: 'Bob', to: 'Bob Builder' }, emailAddresses: { from: ['bob@example.com', 'b.builder@example.com'], to: ['robert@example.com'] } },
        },
      ]);
      const bob = (await findUser(test.store.db, 'bob'))!;
      assert.equal(bob.fullName, 'Bob Builder');
      assert.deepEqual(bob.privileges, ['login', 'admin']);
      // A search finds bob by what the directory says now, not by what it said before.
      const searched = async (q: string) => (await findUserPage(test.store.db, { q, limit: 10 })).users.map((user) => user.userName);
      assert.deepEqual(await searched('BUILDER'), ['bob']);
      assert.deepEqual(await searched('robert@'), ['bob']);
      assert.deepEqual(await searched('b.builder@'), []);
      // The update stored bob's new digest: the next run finds every user unchanged by digest alone.
      const digests = await storedDigests(test.store.db);
      assert.equal(digests.digests.length, 3);
      assert.equal((await sync(test, settings)).users.unchanged, 3);
      assert.deepEqual(await usersForPlanning(test.store.db, []), []);
    });

    it('writes the digest again for a user whose synced field was set to what the directory says', async () => {
      const { test, settings } = await setup(backend);
      await sync(test, settings);
      // As a login does when it finds an entry moved: the stored DN changes, the digest is dropped.
      await updateUser(test.store.db, 'bob', { dn: `uid=bob,${PEOPLE}` });
      assert.equal((await storedDigests(test.store.db)).digests.length, 2);
      const before = await test.store.db.selectFrom('users').select(['user_name', 'updated_at']).orderBy('user_name').execute();
      const report = await sync(test, settings);
      assert.deepEqual([report.users.updated.length, report.users.unchanged], [0, 3]);
      assert.equal((await storedDigests(test.store.db)).digests.length, 3);
      assert.deepEqual(await test.store.db.selectFrom('users').select(['user_name', 'updated_at']).orderBy('user_name').execute(), before);
    });

    it('loads only the stored users no entry matched by digest, or all of them past the limit', async () => {
      const { directory, test, settings } = await setup(backend);
      await sync(test, settings);
      const client = await adminClient(directory);
      await client.modify(`uid=bob,${PEOPLE}`, { operation: 'replace', type: 'displayName', values: ['Bobby'] });
      await client.unbind();
      const snapshot = await readDirectory(settings);
      const targeted = await localUsersForPlan(test.store.db, snapshot.users);
      assert.deepEqual(
        targeted.localUsers.map((user) => user.userName),
        ['bob'],
      );
      assert.equal(targeted.digests?.unchangedCount, 2);
      const all = await localUsersForPlan(test.store.db, snapshot.users, 0);
      assert.deepEqual(all.localUsers.map((user) => user.userName).sort(), ['alice', 'bob', 'carol']);
      assert.equal(all.digests?.unchanged, undefined);
      // Both ways, the same plan.
      const plans = [targeted, all].map((local) => planSync(snapshot, local.localUsers, settings, local.digests));
      assert.deepEqual(plans[0], plans[1]);
      assert.deepEqual(
        plans[0]!.updated.map((update) => update.changes),
        [{ fullName: { from: 'Bob', to: 'Bobby' } }],
      );
    });

    it('follows a renamed entry (modrdn) and a moved entry (new superior) without creating a second user', async () => {
      const { directory, test, settings } = await setup(backend, {
        groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['Staff DN'] },
      });
      await sync(test, settings);
      const before = (await findUser(test.store.db, 'alice'))!;
      const client = await adminClient(directory);
      await client.modifyDN(`uid=alice,${PEOPLE}`, 'uid=alice.archer');
      await client.modifyDN(`cn=Smith\\, John,${PEOPLE}`, `cn=Smith\\, John,ou=contractors,${OPENLDAP_BASE}`);
      await client.unbind();
      // groupOfNames has no referential integrity here: point the group at the new DNs as the refint overlay would.
      const fix = await adminClient(directory);
      await fix.modify(`cn=Staff DN,${GROUPS}`, [
        { operation: 'replace', type: 'member', values: [`uid=alice.archer,${PEOPLE}`, `cn=Smith\\, John,ou=contractors,${OPENLDAP_BASE}`, `cn=Nested Names,${GROUPS}`] },
      ]);
      await fix.unbind();
      const report = await sync(test, settings);
      assert.equal(report.users.created.length, 0, JSON.stringify(report.users.created));
      const renamed = (await findUser(test.store.db, 'alice.archer'))!;
      assert.equal(renamed.id, before.id);
      assert.equal(renamed.dn, `uid=alice.archer,${PEOPLE}`);
      assert.equal(await findUser(test.store.db, 'alice'), undefined);
      assert.deepEqual(
        (await findUserPage(test.store.db, { q: 'alice.arch', limit: 10 })).users.map((user) => user.userName),
        ['alice.archer'],
      );
      assert.equal(dnKey((await findUser(test.store.db, 'jsmith'))!.dn!), dnKey(`cn=Smith\\, John,ou=contractors,${OPENLDAP_BASE}`));
      assert.ok(report.users.updated.some((update) => update.changes.userName?.to === 'alice.archer'));
    });

    it('keeps users who left the selected group when deleteUsers is off, and deletes them when it is on', async () => {
      const { directory, test, settings } = await setup(backend);
      await sync(test, settings);
      await removeMemberUid(directory, 'MailStore Users', 'bob');
      const kept = await sync(test, settings);
      assert.deepEqual(kept.users.outOfScope, [{ userName: 'bob', reason: 'no longer in group MailStore Users' }]);
      assert.ok(await findUser(test.store.db, 'bob'));
      const deleting = { ...settings, options: { ...settings.options, deleteUsers: true } };
      const deleted = await sync(test, deleting);
      assert.deepEqual(deleted.users.deleted, [{ userName: 'bob', reason: 'no longer in group MailStore Users' }]);
      assert.equal(await findUser(test.store.db, 'bob'), undefined);
    });

    it('drops a deleted user from the members of the groups it read', async () => {
      const { directory, test, settings } = await setup(backend, { options: { deleteUsers: true } });
      const membershipsOf = async (user: string) =>
        (await test.store.db.selectFrom('groups').select('members').execute()).filter((group) => (JSON.parse(group.members) as string[]).includes(user)).length;
      await sync(test, settings);
      assert.ok((await membershipsOf('bob')) > 0);
      await removeMemberUid(directory, 'MailStore Users', 'bob');
      const deleted = await sync(test, settings);
      assert.deepEqual(
        deleted.users.deleted.map((removal) => removal.userName),
        ['bob'],
      );
      assert.equal(await membershipsOf('bob'), 0);
      assert.ok((await membershipsOf('alice')) > 0);
    });

    it('never changes or deletes a manual user, and reports a name collision', async () => {
      const { test, settings } = await setup(backend, { options: { deleteUsers: true } });
      const manual = {
        userName: 'Carol',
        fullName: 'Manual Carol',
        emailAddresses: [],
        source: 'manual' as const,
        authentication: 'local' as const,
        disabled: false,
        privileges: ['login' as const],
        archiveAccess: [],
        dn: null,
        stableId: null,
      };
      await insertUser(test.store.db, manual, 'hash');
      const report = await sync(test, settings);
      assert.ok(report.warnings.some((warning) => warning.startsWith("directory user 'carol'") && warning.includes('manually created user')));
      assert.deepEqual(report.users.created.map((user) => user.userName).sort(), ['alice', 'bob']);
      const carol = (await findUser(test.store.db, 'carol'))!;
      assert.deepEqual({ ...carol, id: 0 }, { ...manual, id: 0 });
    });

    it('refuses a run whose read finds nobody while directory users exist (filter matching nothing)', async () => {
      const { test, settings } = await setup(backend, { options: { deleteUsers: true } });
      await sync(test, settings);
      const empty = { ...settings, users: { ...settings.users, filter: '(uid=nobody-at-all)' } };
      await assert.rejects(sync(test, empty), (error) => isRosterError(error, 'SYNC_EMPTY_READ'));
      assert.equal((await listUsers(test.store.db)).length, 3);
      const [refused] = await listRuns(test.store.db);
      assert.equal(refused!.status, 'refused');
      assert.equal(refused!.error!.code, 'SYNC_EMPTY_READ');
    });

    it('refuses mass deletions over the threshold unless allowed once', async () => {
      const { test, settings } = await setup(backend, {
        options: { deleteUsers: true },
        groups: { filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '', groups: ['All Staff'] },
      });
      await sync(test, settings);
      const narrowed = { ...settings, groups: { ...settings.groups, groups: ['Staff DN'] } };
      await assert.rejects(sync(test, narrowed), (error) => isRosterError(error, 'SYNC_DELETE_GUARD') && /600 users/.test(error.message));
      assert.equal((await listUsers(test.store.db)).length, 600);
      const allowed = await sync(test, narrowed, { allowMassDelete: true });
      assert.equal(allowed.users.deleted.length, 600);
      assert.deepEqual((await listUsers(test.store.db)).map((user) => user.userName).sort(), ['alice', 'carol', 'jsmith']);
    });

    for (const [how, failure] of [
      ['is killed', (directory: TestDirectory) => directory.kill()],
      ['stops answering', (directory: TestDirectory) => directory.pause()],
    ] as const) {
      it(`deletes nobody when the directory ${how} in the middle of the read`, async () => {
        const { directory, test, settings } = await setup(backend, { options: { deleteUsers: true } });
        await sync(test, settings);
        // Users are read; the directory fails before the groups are.
        const failing = sync(
          test,
          { ...settings, connection: { ...settings.connection, timeoutSeconds: 1 } },
          { onProgress: (progress) => (progress.phase === 'users' ? failure(directory) : undefined) },
        );
        await assert.rejects(failing, (error) => isRosterError(error, 'SYNC_INCOMPLETE_READ'));
        directory.resume();
        assert.equal((await listUsers(test.store.db)).length, 3);
        assert.equal((await listRuns(test.store.db))[0]!.error!.code, 'SYNC_INCOMPLETE_READ');
      });
    }

    it('lets only one synchronization run at a time', async () => {
      const { directory, test, settings } = await setup(backend);
      // The first run holds the lock while the directory stands still in the middle of its read: two runs started
      // together were a race (a quick first run could end before the second asked, and both committed).
      let inRead!: () => void;
      const reading = new Promise<void>((resolve) => (inRead = resolve));
      const first = sync(test, settings, {
        onProgress: (progress) => {
          if (progress.phase !== 'users') return;
          directory.pause();
          inRead();
        },
      });
      try {
        await reading;
        await assert.rejects(sync(test, settings), (error) => isRosterError(error, 'SYNC_ALREADY_RUNNING'));
      } finally {
        directory.resume();
      }
      assert.equal((await first).committed, true);
    });

    it('previews against the stored users without committing', async () => {
      const { directory, test, settings } = await setup(backend);
      await sync(test, settings);
      await removeMemberUid(directory, 'MailStore Users', 'alice');
      const preview = await previewSync(test.store, { ...settings, options: { ...settings.options, deleteUsers: true } });
      assert.equal(preview.committed, false);
      assert.deepEqual(
        preview.users.deleted.map((removal) => removal.userName),
        ['alice'],
      );
      assert.ok(await findUser(test.store.db, 'alice'));
    });
  });
}
