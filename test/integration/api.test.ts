import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPENLDAP_BASE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;
let t: TestServer;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await stopAllDirectories();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = () => auth(t.adminToken);
const settings = () => openLdapInput(directory, { groups: { groups: ['MailStore Users'] }, login: { failureResponseMs: 0 } });

async function loginAs(userName: string, password: string): Promise<string> {
  const response = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName, password } });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().token;
}

describe('API: session', () => {
  it('logs on with a token and a session cookie, and 401s on bad credentials', async () => {
    const ok = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(ok.statusCode, 200);
    assert.match(String(ok.headers['set-cookie']), /roster_session=.+; Path=\/; HttpOnly; SameSite=Strict/);
    assert.equal(ok.json().user.userName, 'admin');
    const bad = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: 'nope' } });
    assert.equal(bad.statusCode, 401);
    assert.deepEqual(bad.json(), { error: { code: 'AUTH_REJECTED', message: 'Invalid user name or password.' } });
  });

  it('400s a login without the required fields, naming them', async () => {
    const response = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.code, 'INPUT_INVALID');
    assert.deepEqual(response.json().error.details, [{ path: 'body.password', message: "must have required property 'password'" }]);
  });

  it('answers /api/me, and 401 without a session', async () => {
    assert.equal((await t.server.inject({ url: '/api/me', headers: admin() })).json().userName, 'admin');
    assert.equal((await t.server.inject({ url: '/api/me' })).statusCode, 401);
    assert.equal((await t.server.inject({ url: '/api/me', headers: auth('forged') })).statusCode, 401);
  });

  it('requires the CSRF token on cookie-authenticated changes', async () => {
    const login = await t.server.inject({ method: 'POST', url: '/api/login', payload: { userName: 'admin', password: ADMIN_PASSWORD } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const without = await t.server.inject({ method: 'POST', url: '/api/users', headers: { cookie }, payload: { userName: 'csrf-victim', authentication: 'directory' } });
    assert.equal(without.statusCode, 403);
    const withToken = await t.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken },
      payload: { userName: 'csrf-ok', authentication: 'directory' },
    });
    assert.equal(withToken.statusCode, 201, withToken.body);
  });

  it('ends the session on logout', async () => {
    const token = await loginAs('admin', ADMIN_PASSWORD);
    assert.equal((await t.server.inject({ method: 'POST', url: '/api/logout', headers: auth(token) })).statusCode, 200);
    assert.equal((await t.server.inject({ url: '/api/me', headers: auth(token) })).statusCode, 401);
  });
});

describe('API: users', () => {
  it('creates, lists, searches, reads, changes and deletes manual users', async () => {
    const created = await t.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: admin(),
      payload: { userName: 'Frank', fullName: 'Frank F', emailAddresses: ['frank@example.com'], password: 'Frank-Pass-1', privileges: ['login', 'changePassword'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await t.server.inject({ method: 'POST', url: '/api/users', headers: admin(), payload: { userName: 'frank', password: 'x' } })).statusCode, 409);
    const listed = await t.server.inject({ url: '/api/users?q=frank@', headers: admin() });
    assert.deepEqual(
      listed.json().map((user: { userName: string }) => user.userName),
      ['Frank'],
    );
    assert.equal((await t.server.inject({ url: '/api/users/FRANK', headers: admin() })).json().fullName, 'Frank F');
    const patched = await t.server.inject({
      method: 'PATCH',
      url: '/api/users/frank',
      headers: admin(),
      payload: { privileges: ['login', 'archive', 'changePassword'], archiveAccess: ['read', 'write'] },
    });
    assert.deepEqual(patched.json().privileges, ['login', 'archive', 'changePassword']);
    const token = await loginAs('frank', 'Frank-Pass-1');
    assert.equal(
      (await t.server.inject({ method: 'PUT', url: '/api/me/password', headers: auth(token), payload: { currentPassword: 'Frank-Pass-1', newPassword: 'Frank-Pass-2' } }))
        .statusCode,
      200,
    );
    await loginAs('frank', 'Frank-Pass-2');
    assert.equal((await t.server.inject({ method: 'DELETE', url: '/api/users/frank', headers: admin() })).statusCode, 204);
    assert.equal((await t.server.inject({ url: '/api/users/frank', headers: admin() })).statusCode, 404);
  });

  it('refuses to let administrators lock themselves out', async () => {
    const demote = await t.server.inject({ method: 'PATCH', url: '/api/users/admin', headers: admin(), payload: { privileges: ['login'] } });
    assert.equal(demote.statusCode, 409);
    assert.equal((await t.server.inject({ method: 'PATCH', url: '/api/users/admin', headers: admin(), payload: { disabled: true } })).statusCode, 409);
    assert.equal((await t.server.inject({ method: 'DELETE', url: '/api/users/admin', headers: admin() })).statusCode, 409);
    assert.deepEqual((await t.server.inject({ url: '/api/me', headers: admin() })).json().privileges.includes('admin'), true);
  });

  it('400s invalid user input with field paths', async () => {
    const response = await t.server.inject({
      method: 'POST',
      url: '/api/users',
      headers: admin(),
      payload: { userName: 'x\u0000y', emailAddresses: ['not-mail'], privileges: ['root'], authentication: 'directory' },
    });
    assert.equal(response.statusCode, 400);
    const paths = response
      .json()
      .error.details.map((detail: { path: string }) => detail.path)
      .sort();
    assert.deepEqual(paths, ['emailAddresses.0', 'privileges.0', 'userName']);
    const noPassword = await t.server.inject({ method: 'POST', url: '/api/users', headers: admin(), payload: { userName: 'gina' } });
    assert.equal(noPassword.statusCode, 400);
    assert.equal(noPassword.json().error.details[0].path, 'password');
  });

  it('403s administration to users without the admin privilege', async () => {
    await t.server.inject({ method: 'POST', url: '/api/users', headers: admin(), payload: { userName: 'henry', password: 'Henry-Pass-1' } });
    const token = await loginAs('henry', 'Henry-Pass-1');
    for (const [method, url] of [
      ['GET', '/api/users'],
      ['GET', '/api/users/admin'],
      ['POST', '/api/users'],
      ['PATCH', '/api/users/admin'],
      ['DELETE', '/api/users/admin'],
      ['GET', '/api/directory/settings'],
      ['PUT', '/api/directory/settings'],
      ['POST', '/api/directory/test'],
      ['POST', '/api/directory/sync'],
      ['GET', '/api/directory/runs'],
      ['GET', '/api/directory/runs/1'],
    ] as const) {
      const response = await t.server.inject({ method, url, headers: auth(token), payload: method === 'GET' ? undefined : {} });
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.equal((await t.server.inject({ method, url, payload: method === 'GET' ? undefined : {} })).statusCode, 401, `${method} ${url} without a session`);
    }
    assert.equal((await t.server.inject({ url: '/api/me', headers: auth(token) })).json().userName, 'henry');
    assert.equal(
      (await t.server.inject({ method: 'PUT', url: '/api/me/password', headers: auth(token), payload: { currentPassword: 'Henry-Pass-1', newPassword: 'x2' } })).statusCode,
      403,
      'no changePassword privilege',
    );
  });
});

describe('API: directory', () => {
  it('stores settings without ever returning the password, and 400s invalid ones with every path', async () => {
    assert.equal((await t.server.inject({ url: '/api/directory/settings', headers: admin() })).statusCode, 409);
    const invalid = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers: admin(),
      payload: { connection: { server: 'bad_host!' }, users: { filter: '(x' } },
    });
    assert.equal(invalid.statusCode, 400);
    const paths = invalid.json().error.details.map((detail: { path: string }) => detail.path);
    for (const path of ['connection.server', 'connection.administrativeDn', 'connection.password', 'users.filter', 'users.userName']) assert.ok(paths.includes(path), path);
    const stored = await t.server.inject({ method: 'PUT', url: '/api/directory/settings', headers: admin(), payload: settings() });
    assert.equal(stored.statusCode, 200, stored.body);
    const shown = await t.server.inject({ url: '/api/directory/settings', headers: admin() });
    assert.equal(shown.json().connection.passwordSet, true);
    assert.doesNotMatch(shown.body, new RegExp(directory.servicePassword));
    const { connection, ...rest } = settings() as { connection: Record<string, unknown> };
    const { password: _password, ...withoutPassword } = connection;
    assert.equal(
      (await t.server.inject({ method: 'PUT', url: '/api/directory/settings', headers: admin(), payload: { ...rest, connection: withoutPassword } })).statusCode,
      200,
      'an absent password keeps the stored one',
    );
  });

  it('tests stored or posted settings without committing, syncs, and lists the runs', async () => {
    await t.server.inject({ method: 'PUT', url: '/api/directory/settings', headers: admin(), payload: settings() });
    const test = await t.server.inject({ method: 'POST', url: '/api/directory/test', headers: admin(), payload: {} });
    assert.equal(test.statusCode, 200, test.body);
    assert.equal(test.json().committed, false);
    assert.deepEqual(
      test
        .json()
        .users.created.map((user: { userName: string }) => user.userName)
        .sort(),
      ['alice', 'bob', 'carol'],
    );
    const posted = await t.server.inject({
      method: 'POST',
      url: '/api/directory/test',
      headers: admin(),
      payload: openLdapInput(directory, { groups: { groups: ['Developers'] } }),
    });
    assert.equal(posted.json().groups.find((group: { name: string }) => group.name === 'Developers').selected, true);
    const sync = await t.server.inject({ method: 'POST', url: '/api/directory/sync', headers: admin() });
    assert.equal(sync.statusCode, 200, sync.body);
    assert.equal(sync.json().committed, true);
    assert.equal(sync.json().mode, 'full');
    const forced = await t.server.inject({ method: 'POST', url: '/api/directory/sync?full=true', headers: admin() });
    assert.equal(forced.statusCode, 200, forced.body);
    assert.deepEqual([forced.json().mode, forced.json().modeReason], ['full', 'forced']);
    assert.equal((await t.server.inject({ method: 'POST', url: '/api/directory/sync?full=maybe', headers: admin() })).statusCode, 400);
    assert.deepEqual([posted.json().mode, posted.json().modeReason], ['full', 'preview']);
    const runs = await t.server.inject({ url: '/api/directory/runs', headers: admin() });
    assert.deepEqual([runs.json()[0].mode, runs.json()[0].modeReason], ['full', 'forced']);
    const runId = runs.json()[1].id;
    const run = await t.server.inject({ url: `/api/directory/runs/${runId}`, headers: admin() });
    assert.ok(run.json().changes.some((change: { userName: string; action: string }) => change.userName === 'alice' && change.action === 'created'));
    assert.equal((await t.server.inject({ url: '/api/directory/runs/99999', headers: admin() })).statusCode, 404);
    assert.equal((await t.server.inject({ url: '/api/directory/runs/abc', headers: admin() })).statusCode, 400);
    const token = await loginAs('alice', USER_PASSWORD);
    assert.equal((await t.server.inject({ url: '/api/me', headers: auth(token) })).json().source, 'directory');
  });

  it('answers a failed sync with its error code and status', async () => {
    await t.server.inject({ method: 'PUT', url: '/api/directory/settings', headers: admin(), payload: openLdapInput(directory, { connection: { password: 'wrong-password' } }) });
    const response = await t.server.inject({ method: 'POST', url: '/api/directory/sync', headers: admin() });
    assert.equal(response.statusCode, 502);
    assert.equal(response.json().error.code, 'SYNC_INCOMPLETE_READ');
    assert.doesNotMatch(response.body, /wrong-password/);
  });
});

describe('API: system', () => {
  it('serves health, Prometheus metrics and the OpenAPI document', async () => {
    assert.equal((await t.server.inject({ url: '/api/health' })).json().status, 'ok');
    const metrics = await t.server.inject({ url: '/metrics' });
    assert.match(metrics.body, /roster_users\{source="manual"\} \d+/);
    assert.match(metrics.body, /roster_logins_total\{outcome="success"\} \d+/);
    assert.match(metrics.body, /roster_sync_runs_total\{status="committed"\} \d+/);
    const docs = (await t.server.inject({ url: '/api/docs' })).json();
    assert.equal(docs.openapi, '3.1.0');
    for (const path of ['/api/login', '/api/users/{userName}', '/api/directory/settings', '/api/directory/runs/{id}', '/metrics']) assert.ok(docs.paths[path], path);
  });

  it('sends security headers and a JSON 404', async () => {
    const response = await t.server.inject({ url: '/nowhere' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
  });
});
