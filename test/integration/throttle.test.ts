import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { DirectoryAccessProvider } from '../../src/auth/directory-access.js';
import { Authenticator } from '../../src/auth/login.js';
import { isRosterError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { saveDirectorySettings } from '../../src/store/settings.js';
import { runSync } from '../../src/sync/run.js';
import { OPENLDAP_BASE, PEOPLE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapSettings } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore, type Backend } from '../helpers/store.js';

const log = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});

let shared: TestDirectory | undefined;
async function directory(): Promise<TestDirectory> {
  shared ??= await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  return shared;
}

/** `instances` authenticators on one database, as several servers (or CLI processes) sharing it would be. */
async function world(backend: Backend, instances: number, login: Record<string, unknown>) {
  const dir = await directory();
  const test = await openTestStore(backend);
  const settings = openLdapSettings(dir, { groups: { groups: ['MailStore Users'] }, login: { failureResponseMs: 0, ...login } });
  await saveDirectorySettings(test.store.db, test.store.secrets, settings);
  await runSync(test.store, settings, { trigger: 'test' });
  const stores = [test.store];
  for (let i = 1; i < instances; i++) stores.push(await Store.open({ dataDir: test.dataDir, databaseUrl: test.databaseUrl }));
  const providers = stores.map((store) => new DirectoryAccessProvider(store));
  const auths = stores.map((store, i) => new Authenticator(store, providers[i]!, log));
  cleanups.push(async () => {
    for (const provider of providers) await provider.close();
    for (const store of stores) await store.close();
  });
  return { dir, test, auths };
}

for (const backend of BACKENDS) {
  describe(`login throttle under concurrency (${backend})`, () => {
    it('checks at most blockAfterFailures of 200 simultaneous guesses, so the right one in last place is refused', async () => {
      const instances = backend === 'postgres' ? 2 : 1;
      const { dir, auths } = await world(backend, instances, { delayAfterFailures: 100, blockAfterFailures: 10 });
      const dn = `uid=alice,${PEOPLE}`;
      const before = dir.bindCount(dn);
      const guesses = Array.from({ length: 200 }, (_, i) => (i === 199 ? USER_PASSWORD : `wrong-${i}`));
      const results = await Promise.allSettled(guesses.map((password, i) => auths[i % instances]!.login({ userName: 'alice', password })));
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 0, 'no guess logged on');
      const binds = dir.bindCount(dn) - before;
      assert.ok(binds <= 10, `${binds} passwords were checked against the directory; the limit is 10`);
      const locked = results.filter((result) => result.status === 'rejected' && isRosterError(result.reason, 'AUTH_ACCOUNT_LOCKED')).length;
      assert.ok(locked >= 190, `${locked} refused unchecked`);
      await assert.rejects(auths[0]!.login({ userName: 'alice', password: USER_PASSWORD }), (error) => isRosterError(error, 'AUTH_ACCOUNT_LOCKED'));
    });

    it('limits a source guessing many names at once, across instances', async () => {
      const instances = backend === 'postgres' ? 2 : 1;
      const { auths } = await world(backend, instances, { delayAfterFailures: 100, blockAfterFailures: 5 });
      const names = Array.from({ length: 60 }, (_, i) => `nobody${i}`);
      const results = await Promise.allSettled(names.map((userName, i) => auths[i % instances]!.login({ userName, password: 'x', source: '192.0.2.9' })));
      const checked = results.filter((result) => result.status === 'rejected' && isRosterError(result.reason, 'AUTH_REJECTED')).length;
      assert.ok(checked <= 5, `${checked} attempts from one source were checked; the limit is 5`);
      assert.equal((await auths[0]!.login({ userName: 'alice', password: USER_PASSWORD, source: '198.51.100.2' })).userName, 'alice');
    });

    it('a success inside a burst clears the name, and only its own reservation from the source', async () => {
      const { auths } = await world(backend, 1, { delayAfterFailures: 100, blockAfterFailures: 4 });
      const auth = auths[0]!;
      await assert.rejects(auth.login({ userName: 'alice', password: 'bad', source: '192.0.2.1' }));
      await assert.rejects(auth.login({ userName: 'bob', password: 'bad', source: '192.0.2.1' }));
      await Promise.all([
        auth.login({ userName: 'alice', password: USER_PASSWORD, source: '192.0.2.1' }),
        auth.login({ userName: 'alice', password: USER_PASSWORD, source: '192.0.2.1' }),
      ]);
      // The name is clear again; the source keeps its two failures: two more are allowed, then it is blocked.
      await assert.rejects(auth.login({ userName: 'carol', password: 'bad', source: '192.0.2.1' }), (error) => isRosterError(error, 'AUTH_REJECTED'));
      await assert.rejects(auth.login({ userName: 'carol', password: 'bad', source: '192.0.2.1' }), (error) => isRosterError(error, 'AUTH_REJECTED'));
      await assert.rejects(auth.login({ userName: 'alice', password: USER_PASSWORD, source: '192.0.2.1' }), (error) => isRosterError(error, 'AUTH_ACCOUNT_LOCKED'));
      assert.equal((await auth.login({ userName: 'alice', password: USER_PASSWORD, source: '192.0.2.2' })).userName, 'alice');
    });
  });
}

describe('login attempt records', () => {
  it('are purged once their window and block are over, and hostile names never become rows', async () => {
    const { test, auths } = await world('sqlite', 1, { delayAfterFailures: 100, blockAfterFailures: 3, windowMinutes: 1, blockMinutes: 1 });
    const db = test.store.db;
    await db
      .insertInto('login_attempts')
      .values({ key: 'user:old', failures: 2, first_failure_at: Date.now() - 3_600_000, last_failure_at: 0, blocked_until: 0 })
      .execute();
    await db
      .insertInto('login_attempts')
      .values({ key: 'user:served', failures: 3, first_failure_at: Date.now() - 3_600_000, last_failure_at: 0, blocked_until: Date.now() - 1 })
      .execute();
    await assert.rejects(auths[0]!.login({ userName: 'x'.repeat(1_000_000), password: 'x', source: '192.0.2.5' }), (error) => isRosterError(error, 'AUTH_REJECTED'));
    const keys = (await db.selectFrom('login_attempts').select('key').execute()).map((row) => row.key).sort();
    assert.deepEqual(keys, ['invalid-name', 'source:192.0.2.5']);
  });
});
