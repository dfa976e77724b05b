import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { DirectoryAccessProvider } from '../../src/auth/directory-access.js';
import { Authenticator } from '../../src/auth/login.js';
import { isRosterError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { eventsAfter } from '../../src/store/events.js';
import { createSession, findSession } from '../../src/store/sessions.js';
import { saveDirectorySettings } from '../../src/store/settings.js';
import { findUser, listUsers } from '../../src/store/users.js';
import { runSync } from '../../src/sync/run.js';
import { GROUPS, OPENLDAP_BASE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore } from '../helpers/store.js';

const log = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

async function changeMember(directory: TestDirectory, operation: 'add' | 'delete', uid: string): Promise<void> {
  const client = await adminClient(directory);
  await client.modify(`cn=MailStore Users,${GROUPS}`, { operation, type: 'memberUid', values: [uid] });
  await client.unbind();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of BACKENDS) {
  describe(`deletion with a grace period on ${backend}`, () => {
    it('disables a user who left the group at once, restores one who comes back, and deletes after 10 s', async () => {
      const directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
      const test = await openTestStore(backend);
      const settings = openLdapSettings(directory, {
        groups: { groups: ['MailStore Users'] },
        options: { deleteUsers: true, deleteAfter: '10s' },
        login: { failureResponseMs: 0 },
      });
      await saveDirectorySettings(test.store.db, test.store.secrets, settings);
      const provider = new DirectoryAccessProvider(test.store);
      const auth = new Authenticator(test.store, provider, log);
      cleanups.push(async () => {
        await provider.close();
        await test.store.close();
      });
      const sync = () => runSync(test.store, settings, { trigger: 'test' });
      await sync();
      const bobLogin = await auth.authenticate({ userName: 'bob', password: USER_PASSWORD });
      const session = await createSession(test.store.db, bobLogin, 60_000);

      await changeMember(directory, 'delete', 'bob');
      await changeMember(directory, 'delete', 'alice');
      const marking = await sync();
      assert.deepEqual(marking.users.deleted, []);
      assert.deepEqual(marking.users.pendingDeletion.map((user) => [user.userName, user.new]).sort(), [
        ['alice', true],
        ['bob', true],
      ]);
      const bob = (await findUser(test.store.db, 'bob'))!;
      assert.equal(bob.disabled, true);
      assert.ok(bob.pendingDeletionSince, 'bob is marked pending deletion');
      assert.equal(await findSession(test.store.db, session.token), undefined, "bob's session ended with the run");
      await assert.rejects(auth.login({ userName: 'bob', password: USER_PASSWORD }), (error) => isRosterError(error, 'AUTH_REJECTED'));

      // A run inside the grace period changes nothing and says who is waiting.
      const waiting = await sync();
      assert.deepEqual(waiting.users.pendingDeletion.map((user) => [user.userName, user.new]).sort(), [
        ['alice', false],
        ['bob', false],
      ]);

      await changeMember(directory, 'add', 'alice');
      const restoring = await sync();
      assert.deepEqual(restoring.users.restored, ['alice']);
      const alice = (await findUser(test.store.db, 'alice'))!;
      assert.deepEqual([alice.disabled, alice.pendingDeletionSince], [false, undefined]);
      await auth.login({ userName: 'alice', password: USER_PASSWORD });

      await sleep(Math.max(0, Date.parse(bob.pendingDeletionSince!) + 10_000 - Date.now()) + 100);
      const deleting = await sync();
      assert.deepEqual(
        deleting.users.deleted.map((user) => user.userName),
        ['bob'],
      );
      assert.equal(await findUser(test.store.db, 'bob'), undefined);
      assert.deepEqual((await listUsers(test.store.db)).map((user) => user.userName).sort(), ['alice', 'carol']);

      const events = (await eventsAfter(test.store.db, 0, 1000)).filter((event) => event.type.startsWith('user.') && event.type !== 'user.created');
      assert.deepEqual(
        events.map((event) => [event.type, event.userName]),
        [
          ['user.deletionScheduled', 'alice'],
          ['user.deletionScheduled', 'bob'],
          ['user.restored', 'alice'],
          ['user.deleted', 'bob'],
        ],
      );
      assert.ok(events.every((event) => event.stableId?.startsWith('entryUUID:') && event.source === 'directory'));
    });
  });
}
