import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { DirectoryAccessProvider } from '../../src/auth/directory-access.js';
import { Authenticator } from '../../src/auth/login.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { isRosterError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import type { User } from '../../src/model.js';
import { saveDirectorySettings } from '../../src/store/settings.js';
import { findPasswordHash, findUser, insertUser, updateUser } from '../../src/store/users.js';
import { runSync } from '../../src/sync/run.js';
import { OPENLDAP_BASE, PEOPLE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { openTestStore, type TestStore } from '../helpers/store.js';

const log = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
after(stopAllDirectories);

interface World {
  directory: TestDirectory;
  test: TestStore;
  auth: Authenticator;
  login: (userName: string, password: string, source?: string) => Promise<User>;
}

async function world(overrides: Record<string, unknown> | ((directory: TestDirectory) => Record<string, unknown>) = {}): Promise<World> {
  const directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  const test = await openTestStore('sqlite');
  const extra = typeof overrides === 'function' ? overrides(directory) : overrides;
  const settings = openLdapSettings(directory, { groups: { groups: ['MailStore Users'] }, login: { failureResponseMs: 0 }, ...extra });
  await saveDirectorySettings(test.store.db, test.store.secrets, settings);
  await runSync(test.store, settings, { trigger: 'test' });
  const provider = new DirectoryAccessProvider(test.store);
  const auth = new Authenticator(test.store, provider, log);
  cleanups.push(async () => {
    await provider.close();
    await test.store.close();
  });
  return { directory, test, auth, login: (userName, password, source) => auth.login({ userName, password, source }) };
}

const manual = (userName: string, authentication: 'local' | 'directory', extra: Partial<User> = {}): User => ({
  userName,
  fullName: '',
  emailAddresses: [],
  source: 'manual',
  authentication,
  disabled: false,
  privileges: ['login'],
  archiveAccess: ['read'],
  dn: null,
  stableId: null,
  ...extra,
});

const rejected =
  (code = 'AUTH_REJECTED') =>
  (error: unknown) =>
    isRosterError(error, code as never) && (code !== 'AUTH_REJECTED' || error.message === 'Invalid user name or password.');

describe('login with directory credentials', () => {
  it('lets a synced user log on with the directory password, with exactly one bind per attempt', async () => {
    const { directory, login } = await world();
    const dn = `uid=alice,${PEOPLE}`;
    const before = directory.bindCount(dn);
    const user = await login('Alice', USER_PASSWORD);
    assert.equal(user.userName, 'alice');
    assert.equal(directory.bindCount(dn), before + 1);
    await assert.rejects(login('alice', 'wrong-password'), rejected());
    assert.equal(directory.bindCount(dn), before + 2);
  });

  it('gives an unknown user the same answer as a wrong password', async () => {
    const { login } = await world();
    const unknown = await login('nobody', 'x').catch((error: Error) => error.message);
    const wrong = await login('alice', 'x').catch((error: Error) => error.message);
    assert.equal(unknown, wrong);
  });

  it('takes about the same time for an unknown user and a wrong password', async () => {
    const { login } = await world({ login: { failureResponseMs: 300 } });
    const time = async (name: string) => {
      const started = performance.now();
      await login(name, 'wrong').catch(() => undefined);
      return performance.now() - started;
    };
    const unknown = [await time('nobody1'), await time('nobody2')];
    const wrong = [await time('alice'), await time('bob')];
    for (const ms of [...unknown, ...wrong]) assert.ok(ms >= 295 && ms < 450, `answered in ${ms.toFixed(0)} ms`);
  });

  it('refuses an empty password without sending a bind', async () => {
    const { directory, login } = await world();
    // A refusal asks the directory whether it is up, with the service account (see the 503 test in security.test.ts).
    const userBinds = () => directory.bindCount() - directory.bindCount(directory.serviceDn);
    const before = userBinds();
    await assert.rejects(login('alice', ''), rejected());
    assert.equal(userBinds(), before);
  });

  it('refuses filter and DN injection in names safely', async () => {
    const { directory, test, login } = await world();
    for (const name of ['*', 'alice)(uid=*', '*)(|(uid=*', 'ali\\ce', 'cn=admin,dc=example,dc=com']) {
      await insertUser(test.store.db, manual(name, 'directory'), null);
    }
    const userBinds = () => directory.bindCount() - directory.bindCount(directory.serviceDn);
    const before = userBinds();
    for (const name of ['*', 'alice)(uid=*', '*)(|(uid=*', 'ali\\ce', 'cn=admin,dc=example,dc=com']) await assert.rejects(login(name, USER_PASSWORD), rejected(), name);
    await assert.rejects(login('ali\u0000ce', USER_PASSWORD), rejected());
    assert.equal(userBinds(), before, 'no entry matched, so no user was bound');
  });

  it('finds a moved entry again by its entryUUID, updates the stored DN, and logs on', async () => {
    const { directory, test, login } = await world();
    const client = await adminClient(directory);
    await client.modifyDN(`uid=bob,${PEOPLE}`, `uid=bob,ou=contractors,${OPENLDAP_BASE}`);
    await client.unbind();
    const user = await login('bob', USER_PASSWORD);
    assert.equal(user.dn, `uid=bob,ou=contractors,${OPENLDAP_BASE}`);
    assert.equal((await findUser(test.store.db, 'bob'))!.dn, `uid=bob,ou=contractors,${OPENLDAP_BASE}`);
  });

  it('logs a manual user set to directory authentication on with the directory password', async () => {
    const { test, login } = await world({ groups: { groups: ['Staff DN'], filter: '(objectClass=groupOfNames)', members: 'member', memberSearchFilter: '' } });
    await insertUser(test.store.db, manual('Zoe', 'directory'), null);
    assert.equal((await login('zoe', USER_PASSWORD)).source, 'manual');
    await assert.rejects(login('zoe', 'wrong'), rejected());
  });

  it('matches a manual user by local part when localPartOnly is set', async () => {
    const { test, login } = await world({ users: { userName: 'mail', localPartOnly: true } });
    await insertUser(test.store.db, manual('john.smith', 'directory'), null);
    assert.equal((await login('John.Smith', USER_PASSWORD)).userName, 'john.smith');
  });

  it('refuses a manual directory user whose name several entries carry', async () => {
    const { test, login } = await world({ users: { filter: '(objectClass=inetOrgPerson)' } });
    await insertUser(test.store.db, manual('dup', 'directory'), null);
    await assert.rejects(login('dup', USER_PASSWORD), rejected());
  });

  it('refuses disabled users and users without the login privilege before any bind', async () => {
    const { directory, test, login } = await world();
    await updateUser(test.store.db, 'alice', { disabled: true });
    await updateUser(test.store.db, 'bob', { privileges: ['archive'] });
    const userBinds = () => directory.bindCount() - directory.bindCount(directory.serviceDn);
    const before = userBinds();
    await assert.rejects(login('alice', USER_PASSWORD), rejected());
    await assert.rejects(login('bob', USER_PASSWORD), rejected());
    assert.equal(userBinds(), before);
  });

  it('opens fresh StartTLS connections after the directory dropped the pooled ones, never reusing a dead one', async () => {
    const { directory, login } = await world((started) => ({
      connection: { protocol: 'ldap-tls', server: `localhost:${started.port}`, caCertificate: started.certificates.caFile },
    }));
    const dn = `uid=alice,${PEOPLE}`;
    // A wrong password also makes the service connection check that the entry still exists.
    await assert.rejects(login('alice', 'wrong-password'), rejected());
    assert.equal((await login('alice', USER_PASSWORD)).userName, 'alice');
    // A restart closes every pooled service and bind connection, as an idle time-out on the server would.
    await directory.stop();
    await directory.start();
    const before = directory.bindCount(dn);
    await assert.rejects(login('alice', 'wrong-password'), rejected());
    assert.equal((await login('alice', USER_PASSWORD)).userName, 'alice');
    assert.equal(directory.bindCount(dn), before + 2);
  });

  it('answers "directory unavailable", never success, when the directory is down', async () => {
    const { directory, login } = await world({ connection: { connectTimeoutSeconds: 1, timeoutSeconds: 1 } });
    await directory.stop();
    await assert.rejects(login('alice', USER_PASSWORD), rejected('AUTH_DIRECTORY_UNAVAILABLE'));
  });
});

describe('local passwords', () => {
  it('checks argon2id hashes and rehashes ones made with old parameters', async () => {
    const { test, login } = await world();
    await insertUser(test.store.db, manual('Dana', 'local'), await hash('Dana-Pass-1', { memoryCost: 4096, timeCost: 3, algorithm: 2 }));
    await assert.rejects(login('dana', 'wrong'), rejected());
    assert.equal((await login('DANA', 'Dana-Pass-1')).userName, 'Dana');
    const rehashed = await findPasswordHash(test.store.db, 'dana');
    assert.match(rehashed!, /m=19456,t=2,p=1/);
    assert.equal((await login('dana', 'Dana-Pass-1')).userName, 'Dana');
  });
});

describe('throttling', () => {
  it('blocks a user name after repeated failures, even with the right password, and a success resets the count', async () => {
    const { test, login } = await world({ login: { delayAfterFailures: 3, blockAfterFailures: 3, failureResponseMs: 0 } });
    await insertUser(test.store.db, manual('erin', 'local'), await hashPassword('Erin-Pass-1'));
    await assert.rejects(login('erin', 'bad'), rejected());
    await assert.rejects(login('erin', 'bad'), rejected());
    await login('erin', 'Erin-Pass-1');
    await assert.rejects(login('ERIN ', 'bad'), rejected());
    await assert.rejects(login('erin', 'bad'), rejected());
    await assert.rejects(login('erin', 'bad'), rejected());
    await assert.rejects(login('erin', 'Erin-Pass-1'), (error) => isRosterError(error, 'AUTH_ACCOUNT_LOCKED') && /try again in 15 minutes/.test(error.message));
  });

  it('blocks a source that guesses across many user names', async () => {
    const { login } = await world({ login: { delayAfterFailures: 10, blockAfterFailures: 3, failureResponseMs: 0 } });
    for (const name of ['u1', 'u2', 'u3']) await assert.rejects(login(name, 'x', '192.0.2.7'), rejected());
    await assert.rejects(login('alice', USER_PASSWORD, '192.0.2.7'), rejected('AUTH_ACCOUNT_LOCKED'));
    assert.equal((await login('alice', USER_PASSWORD, '198.51.100.1')).userName, 'alice');
  });

  it('delays attempts after the first failures', async () => {
    const { login } = await world({ login: { delayAfterFailures: 1, blockAfterFailures: 10, failureResponseMs: 0 } });
    await assert.rejects(login('alice', 'bad'), rejected());
    const started = performance.now();
    await login('alice', USER_PASSWORD);
    assert.ok(performance.now() - started >= 990, 'the second attempt waited a second');
  });
});
