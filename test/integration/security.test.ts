/**
 * Issue #12's findings, each attack reproduced against the server as an outsider or an administrator would try it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const admin = () => ({ authorization: `Bearer ${t.adminToken}` });
const login = (userName: string, password: string, remoteAddress = '203.0.113.9') =>
  t.server.inject({ method: 'POST', url: '/api/login', payload: { userName, password }, remoteAddress });

async function lockOut(userName: string): Promise<void> {
  // Ten failures from ten addresses block the name (the per-source count stays low).
  await Promise.all(Array.from({ length: 10 }, (_, i) => login(userName, `guess-${i}`, `198.51.100.${i + 1}`)));
  const refused = await login(userName, ADMIN_PASSWORD, '192.0.2.200');
  assert.equal(refused.statusCode, 401, refused.body);
  assert.equal(refused.json().error.code, 'AUTH_ACCOUNT_LOCKED');
}

describe('lockouts an administrator can lift', () => {
  it('an anonymous burst blocks a name; the API shows and lifts the block', async () => {
    await t.server.inject({ method: 'POST', url: '/api/users', headers: admin(), payload: { userName: 'victim', password: 'Victim-Pass-1' } });
    await lockOut('victim');
    const lock = await t.server.inject({ url: '/api/users/victim/login-lock', headers: admin() });
    assert.equal(lock.json().locked, true);
    assert.ok(Date.parse(lock.json().lockedUntil) > Date.now());
    const unlock = await t.server.inject({ method: 'POST', url: '/api/users/victim/unlock', headers: admin() });
    assert.deepEqual(unlock.json(), { userName: 'victim', unlocked: true });
    assert.equal((await login('victim', 'Victim-Pass-1')).statusCode, 200);
    assert.equal((await t.server.inject({ url: '/api/users/victim/login-lock', headers: admin() })).json().locked, false);
    assert.equal((await t.server.inject({ method: 'POST', url: '/api/users/victim/unlock', headers: { authorization: 'Bearer forged' } })).statusCode, 401);
  });

  it('the administrator locked out of the console unlocks their own name from the CLI, without logging on', async () => {
    await lockOut('admin');
    const result = await runCli(['users', 'unlock', 'ADMIN', '--json', '--data', t.dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { userName: 'ADMIN', unlocked: true });
    assert.equal((await login('admin', ADMIN_PASSWORD)).statusCode, 200);
  });

  it('the console shows the block on the user page and lifts it with the CSRF token', async () => {
    await t.server.inject({ method: 'POST', url: '/api/users', headers: admin(), payload: { userName: 'victim2', password: 'Victim-Pass-1' } });
    await lockOut('victim2');
    const session = await login('admin', ADMIN_PASSWORD);
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    const pageHtml = (await t.server.inject({ url: '/users/victim2', headers: { cookie } })).body;
    assert.match(pageHtml, /Logins with this name are blocked/);
    const forged = await t.server.inject({ method: 'POST', url: '/users/victim2/unlock', headers: { cookie }, payload: {} });
    assert.equal(forged.statusCode, 403);
    const unlocked = await t.server.inject({ method: 'POST', url: '/users/victim2/unlock', headers: { cookie, 'hx-request': 'true', 'x-csrf-token': session.json().csrfToken } });
    assert.match(unlocked.body, /Logins unlocked/);
    assert.equal((await login('victim2', 'Victim-Pass-1')).statusCode, 200);
  });
});
