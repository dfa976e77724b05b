/**
 * The first-start administrator (issues #12 and #16): created whenever no enabled user holds `admin`, exactly
 * once however many processes start together, never by promoting someone else; and the CLI's way back in.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ensureAdministrator } from '../../src/admin/administrator.js';
import type { User } from '../../src/model.js';
import { Store } from '../../src/store/store.js';
import { findUser, insertUser, listUsers } from '../../src/store/users.js';
import { runCli } from '../helpers/cli.js';
import { BACKENDS, dropTestSchemas, openTestStore } from '../helpers/store.js';

after(dropTestSchemas);

const NO_GIVEN_PASSWORD = { ROSTER_ADMIN_PASSWORD: '' };

function directoryUser(userName: string, privileges: User['privileges'] = ['login']): User {
  return {
    userName,
    fullName: userName,
    emailAddresses: [],
    source: 'directory',
    authentication: 'directory',
    disabled: false,
    privileges,
    archiveAccess: ['read'],
    dn: `uid=${userName},ou=people,dc=example,dc=com`,
    stableId: `entryUUID:${userName}`,
  };
}

async function administrators(store: Store): Promise<string[]> {
  return (await listUsers(store.db)).filter((user) => user.privileges.includes('admin')).map((user) => user.userName);
}

for (const backend of BACKENDS) {
  describe(`the first-start administrator on ${backend}`, () => {
    it('is created exactly once when eight processes start together on an empty database', async () => {
      const test = await openTestStore(backend);
      const stores = await Promise.all(Array.from({ length: 8 }, (_, index) => Store.open({ dataDir: test.dataDir, databaseUrl: test.databaseUrl, instance: `i${index}` })));
      try {
        const outcomes = await Promise.all(stores.map((store) => ensureAdministrator(store, NO_GIVEN_PASSWORD)));
        const created = outcomes.filter((outcome) => outcome.created);
        assert.equal(created.length, 1, JSON.stringify(outcomes));
        assert.ok(created[0]!.created && created[0]!.generatedPassword && created[0]!.generatedPassword.length >= 16);
        assert.deepEqual(await administrators(test.store), ['admin']);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await test.store.close();
      }
    });

    it('is created when users exist but none holds admin (a first sync from the CLI), and not again', async () => {
      const test = await openTestStore(backend);
      try {
        await insertUser(test.store.db, directoryUser('alice'), null);
        const first = await ensureAdministrator(test.store, NO_GIVEN_PASSWORD);
        assert.ok(first.created && first.userName === 'admin');
        assert.deepEqual(await ensureAdministrator(test.store, NO_GIVEN_PASSWORD), { created: false });
      } finally {
        await test.store.close();
      }
    });

    it('counts a directory user holding admin, and not a disabled administrator', async () => {
      const test = await openTestStore(backend);
      try {
        await insertUser(test.store.db, directoryUser('carol', ['admin', 'login']), null);
        assert.deepEqual(await ensureAdministrator(test.store, NO_GIVEN_PASSWORD), { created: false });
        await test.store.db.updateTable('users').set({ disabled: 1 }).execute();
        const outcome = await ensureAdministrator(test.store, NO_GIVEN_PASSWORD);
        assert.ok(outcome.created && outcome.userName === 'admin');
      } finally {
        await test.store.close();
      }
    });

    it('never promotes a user who holds the name admin: it takes the next free name', async () => {
      const test = await openTestStore(backend);
      try {
        await insertUser(test.store.db, directoryUser('Admin'), null);
        const outcome = await ensureAdministrator(test.store, { ROSTER_ADMIN_PASSWORD: 'Given-Password-1' });
        assert.deepEqual(outcome, { created: true, userName: 'roster-admin' });
        assert.deepEqual((await findUser(test.store.db, 'admin'))!.privileges, ['login'], 'the directory user is untouched');
        assert.deepEqual(await administrators(test.store), ['roster-admin']);
      } finally {
        await test.store.close();
      }
    });
  });
}

describe('the administrator from the command line', () => {
  it('is created by the first command that opens the database, its password printed on stderr once', async () => {
    const { store, cliArgs } = await openTestStore('postgres');
    await store.close();
    const first = await runCli([...cliArgs, 'users', 'list', '--json'], { env: NO_GIVEN_PASSWORD });
    assert.equal(first.code, 0, first.stderr);
    const password = /Created the administrator "admin" with the password: (\S+)/.exec(first.stderr)?.[1];
    assert.ok(password, first.stderr);
    assert.deepEqual(
      (JSON.parse(first.stdout) as User[]).map((user) => user.userName),
      ['admin'],
      'stdout holds only the JSON',
    );
    const second = await runCli([...cliArgs, 'users', 'list'], { env: NO_GIVEN_PASSWORD });
    assert.doesNotMatch(second.stderr, /Created the administrator/);
    const login = await runCli([...cliArgs, 'login', 'admin', '--password-stdin'], { input: `${password}\n` });
    assert.equal(login.code, 0, login.stderr);
  });

  it('lets an operator who lost access add an administrator of their own (the README recipe)', async () => {
    const { store, cliArgs } = await openTestStore('sqlite');
    await store.close();
    const added = await runCli([...cliArgs, 'users', 'add', 'rescue', '--privilege', 'admin', '--privilege', 'login', '--password-stdin'], {
      input: 'Rescue-Password-1\n',
      env: NO_GIVEN_PASSWORD,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.doesNotMatch(added.stderr, /Created the administrator/, 'no generated admin besides the one being added');
    const list = JSON.parse((await runCli([...cliArgs, 'users', 'list', '--json'])).stdout) as User[];
    assert.deepEqual(
      list.map((user) => user.userName),
      ['rescue'],
    );
    const login = await runCli([...cliArgs, 'login', 'rescue', '--password-stdin'], { input: 'Rescue-Password-1\n' });
    assert.equal(login.code, 0, login.stderr);
  });
});
