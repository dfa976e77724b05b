import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Explanation } from '../../src/admin/explain.js';
import { OPENLDAP_BASE, PEOPLE, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openLdapInput } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

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

const headers = () => ({ authorization: `Bearer ${t.adminToken}` });
async function explain(name: string): Promise<Explanation> {
  const response = await t.server.inject({ url: `/api/directory/explain/${encodeURIComponent(name)}`, headers: headers() });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

describe('explain a user (real slapd)', () => {
  it('answers DIRECTORY_NOT_CONFIGURED before settings are stored', async () => {
    const response = await t.server.inject({ url: '/api/directory/explain/alice', headers: headers() });
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().error.code, 'DIRECTORY_NOT_CONFIGURED');
    const stored = await t.server.inject({
      method: 'PUT',
      url: '/api/directory/settings',
      headers: headers(),
      payload: openLdapInput(directory, { groups: { groups: ['MailStore Users'] } }),
    });
    assert.equal(stored.statusCode, 200, stored.body);
  });

  it('says a user reached through a nested group would be created, and through which groups', async () => {
    const carol = await explain('carol');
    assert.equal(carol.action, 'create');
    assert.equal(carol.entry?.dn, `uid=carol,${PEOPLE}`);
    assert.equal(carol.entry?.inScope, true);
    assert.deepEqual(carol.groups.selection, ['MailStore Users']);
    assert.deepEqual(carol.groups.reached, [{ path: ['MailStore Users', 'Developers'] }]);
    assert.equal(carol.stored, null);
    assert.deepEqual(
      carol.candidates.map((candidate) => [candidate.dn, candidate.matchesUserFilter]),
      [[`uid=carol,${PEOPLE}`, true]],
    );
  });

  it('explains why a user outside the selection is not synchronized, naming their groups', async () => {
    const zoe = await explain('zoe');
    assert.equal(zoe.action, 'nothing');
    assert.equal(zoe.entry?.inScope, false);
    assert.deepEqual(zoe.groups.direct, ['Équipe']);
    assert.deepEqual(zoe.groups.reached, []);
    assert.match(zoe.reason, /none of its groups \(Équipe\) is, or is nested in, a selected group \(MailStore Users\)/);
  });

  it('lists near misses: another attribute, the case, the local part; and entries the user filter does not match', async () => {
    const archer = await explain('Alice.Archer');
    assert.equal(archer.action, 'nothing');
    assert.equal(archer.entry, null);
    assert.match(archer.reason, /no entry has this user name/);
    assert.deepEqual(
      archer.candidates.flatMap((candidate) => candidate.resemblances.map((item) => [candidate.dn, item.attribute, item.value, item.resemblance])),
      [[`uid=alice,${PEOPLE}`, 'mail', 'Alice.Archer@example.com', 'local-part']],
    );
    const upper = await explain('ALICE');
    assert.equal(upper.action, 'create');
    assert.ok(upper.candidates[0]!.resemblances.some((item) => item.attribute === 'uid' && item.resemblance === 'case'));
    const noUid = await explain('No Uid');
    assert.deepEqual(
      noUid.candidates.map((candidate) => [candidate.dn, candidate.userName, candidate.matchesUserFilter]),
      [[`cn=No Uid,${PEOPLE}`, '', false]],
    );
    const nobody = await explain('nobody-at-all');
    assert.deepEqual([nobody.action, nobody.candidates, nobody.reason], ['nothing', [], 'no entry in the directory has this name']);
  });

  it('explains a name two entries share, and warnings concerning a user', async () => {
    const dup = await explain('dup');
    assert.equal(dup.candidates.length, 2);
    // Neither is in a selected group: that, not the shared name, is why neither is synchronized.
    assert.match(dup.reason, /is in no group that was read, so it reaches no selected group \(MailStore Users\)/);
    const bob = await explain('bob');
    assert.ok(
      bob.warnings.some((warning) => warning.includes('not-an-address')),
      JSON.stringify(bob.warnings),
    );
  });

  it('after a sync: nothing for an up-to-date user, the diff for a changed one, and the CLI prints the same', async () => {
    const synced = await t.server.inject({ method: 'POST', url: '/api/directory/sync', headers: headers() });
    assert.equal(synced.statusCode, 200, synced.body);
    const carol = await explain('carol');
    assert.deepEqual([carol.action, carol.reason, carol.stored?.source], ['nothing', 'the user is in scope and already up to date', 'directory']);
    const client = await adminClient(directory);
    await client.modify(`uid=carol,${PEOPLE}`, [{ operation: 'replace', type: 'displayName', values: ['Carol Chen-Li'] }]);
    await client.unbind();
    const changed = await explain('carol');
    assert.equal(changed.action, 'update');
    assert.deepEqual(changed.changes, { fullName: { from: 'Carol Chen', to: 'Carol Chen-Li' } });
    const cli = await runCli([...t.cliArgs, 'directory', 'explain', 'carol', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), changed);
    const text = await runCli([...t.cliArgs, 'directory', 'explain', 'carol']);
    assert.match(text.stdout, /^carol: update \(the entry is in scope and differs from the stored user\)\n/);
    assert.match(text.stdout, /Reaches: MailStore Users → Developers/);
    assert.match(text.stdout, /Change: fullName: "Carol Chen" → "Carol Chen-Li"/);
  });

  it('400s an empty or control-character name', async () => {
    const response = await t.server.inject({ url: `/api/directory/explain/${encodeURIComponent('a\u0001b')}`, headers: headers() });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.details[0].path, 'name');
    const cli = await runCli([...t.cliArgs, 'directory', 'explain', ' ']);
    assert.equal(cli.code, 2);
  });
});
