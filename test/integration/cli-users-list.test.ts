import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { User } from '../../src/model.js';
import { insertMany } from '../../src/store/bulk.js';
import { userRow } from '../../src/store/users.js';
import { runCli } from '../helpers/cli.js';
import { BACKENDS, dropTestSchemas, openTestStore } from '../helpers/store.js';

after(async () => dropTestSchemas());

/** More users than one read page (1,000), so that streaming crosses pages. */
const COUNT = 2_600;

function listedUser(index: number): User {
  const userName = `person${String(index).padStart(5, '0')}`;
  return {
    userName,
    fullName: index % 100 === 0 ? `Hundred ${index}` : `Person ${index}`,
    emailAddresses: [`${userName}@example.com`],
    source: index % 2 ? 'directory' : 'manual',
    authentication: 'directory',
    disabled: false,
    privileges: ['login'],
    archiveAccess: ['read'],
    dn: null,
    stableId: null,
  };
}

for (const backend of BACKENDS) {
  describe(`roster users list streams every user (${backend})`, () => {
    it('prints all users as one JSON array ordered by name, across read pages, and filters with --search and --source', async () => {
      const test = await openTestStore(backend);
      const users = Array.from({ length: COUNT }, (_, index) => listedUser(COUNT - index));
      await insertMany(
        test.store.db,
        'users',
        users.map((user) => userRow(user, new Date().toISOString())),
      );
      await test.store.close();

      const all = await runCli([...test.cliArgs, 'users', 'list', '--json']);
      assert.equal(all.code, 0, all.stderr);
      const listed = JSON.parse(all.stdout) as User[];
      // The CLI creates the administrator on a database without one (issue #16).
      assert.equal(listed.length, COUNT + 1);
      assert.deepEqual(
        listed.map((user) => user.userName),
        ['admin', ...users.map((user) => user.userName).sort()],
      );
      assert.deepEqual(Object.keys(listed[0]!).sort(), [
        'archiveAccess',
        'authentication',
        'disabled',
        'dn',
        'emailAddresses',
        'fullName',
        'privileges',
        'source',
        'stableId',
        'userName',
      ]);

      const searched = await runCli([...test.cliArgs, 'users', 'list', '--json', '--search', 'HUNDRED', '--source', 'manual']);
      assert.equal(searched.code, 0, searched.stderr);
      assert.deepEqual(
        (JSON.parse(searched.stdout) as User[]).map((user) => user.userName),
        users
          .filter((user) => user.fullName.startsWith('Hundred') && user.source === 'manual')
          .map((user) => user.userName)
          .sort(),
      );

      const text = await runCli([...test.cliArgs, 'users', 'list']);
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stdout.trimEnd().split('\n').length, COUNT + 1);
      const none = await runCli([...test.cliArgs, 'users', 'list', '--search', 'nobody-has-this']);
      assert.equal(none.stdout, 'No users.\n');
      const bad = await runCli([...test.cliArgs, 'users', 'list', '--source', 'ldap']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--source/);
    });
  });
}
