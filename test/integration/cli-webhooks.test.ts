import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { openLdapInput } from '../helpers/settings.js';
import { freePort, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const SECRET = 'cli-receiver-secret-123';
let directory: TestDirectory;
let receiver: Receiver;
let work: string;
const servers: ChildProcess[] = [];

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  receiver = await startReceiver(SECRET);
  work = mkdtempSync(join(tmpdir(), 'roster-cli-webhooks-'));
});
after(async () => {
  for (const server of servers) server.kill('SIGTERM');
  await receiver.close();
  await stopAllDirectories();
});

function settingsFile(overrides: Record<string, unknown>): string {
  const path = join(work, `settings-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify(openLdapInput(directory, overrides)));
  return path;
}

async function startServe(data: string[]): Promise<void> {
  const port = await freePort();
  const bin = fileURLToPath(new URL('../../bin/roster.js', import.meta.url));
  const server = spawn(process.execPath, [bin, ...data, 'serve', '--port', String(port)], {
    env: { ...process.env, ROSTER_ADMIN_PASSWORD: 'Admin-Password-1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  servers.push(server);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    server.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('listening on')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`roster serve exited with ${code}: ${stderr}`)));
  });
}

describe('roster webhooks and pending deletions on the command line', () => {
  it('adds, lists without the secret, tests and removes webhooks; rejects bad input with exit 2', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    const bad = await runCli([...data, 'webhooks', 'add', 'ftp://example.com/']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /url: must be an http/);
    const added = await runCli([...data, 'webhooks', 'add', receiver.url, '--secret', SECRET, '--events', 'user.*,sync.refused', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const id = JSON.parse(added.stdout).webhook.id;
    const listed = await runCli([...data, 'webhooks', 'list', '--json']);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((hook: { id: number; events: string[] }) => [hook.id, hook.events]),
      [[id, ['user.*', 'sync.refused']]],
    );
    assert.ok(!listed.stdout.includes(SECRET));
    const tested = await runCli([...data, 'webhooks', 'test', String(id)]);
    assert.equal(tested.code, 0, tested.stderr);
    assert.equal(receiver.received.at(-1)!.signed, true);
    receiver.answer = () => 500;
    const failing = await runCli([...data, 'webhooks', 'test', String(id)]);
    receiver.answer = () => 204;
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /HTTP 500 \[WEBHOOK_DELIVERY_FAILED\]/);
    const generated = await runCli([...data, 'webhooks', 'add', 'https://example.com/other']);
    assert.match(generated.stderr, /Signing secret \(shown only this once\): \S{40,}/);
    assert.equal((await runCli([...data, 'webhooks', 'remove', String(id)])).code, 0);
    assert.equal((await runCli([...data, 'webhooks', 'remove', String(id)])).code, 1);
  });

  it('roster serve delivers the events of a CLI sync; users show, keep and delete-now handle pending deletions', async () => {
    const data = ['--data', mkdtempSync(join(tmpdir(), 'roster-data-'))];
    assert.equal((await runCli([...data, 'webhooks', 'add', receiver.url, '--secret', SECRET])).code, 0);
    await startServe(data);
    const before = receiver.accepted().length;
    assert.equal((await runCli([...data, 'directory', 'set', settingsFile({ groups: { groups: ['MailStore Users'] } })])).code, 0);
    assert.equal((await runCli([...data, 'directory', 'sync'])).code, 0);
    const narrower = settingsFile({
      groups: { groups: ['MailStore Users'] },
      users: { filter: '(&(objectClass=posixAccount)(uid=carol))' },
      options: { deleteUsers: true, deleteAfter: '30d' },
    });
    assert.equal((await runCli([...data, 'directory', 'set', narrower])).code, 0);
    const marking = await runCli([...data, 'directory', 'sync', '--json']);
    assert.equal(marking.code, 0, marking.stderr);
    assert.deepEqual(
      JSON.parse(marking.stdout)
        .users.pendingDeletion.map((user: { userName: string }) => user.userName)
        .sort(),
      ['alice', 'bob'],
    );
    await receiver.waitFor(() => receiver.accepted().length >= before + 7);
    assert.deepEqual(
      receiver
        .accepted()
        .slice(before)
        .map((delivery) => delivery.event),
      ['user.created', 'user.created', 'user.created', 'sync.committed', 'user.deletionScheduled', 'user.deletionScheduled', 'sync.committed'],
    );

    const alice = JSON.parse((await runCli([...data, 'users', 'show', 'alice', '--json'])).stdout);
    assert.equal(alice.disabled, true);
    assert.ok(Date.parse(alice.pendingDeletionSince) > Date.now() - 60_000);
    assert.equal((await runCli([...data, 'users', 'keep', 'alice'])).code, 0);
    assert.equal((await runCli([...data, 'users', 'delete-now', 'bob'])).code, 0);
    const notPending = await runCli([...data, 'users', 'delete-now', 'carol']);
    assert.equal(notPending.code, 1);
    assert.match(notPending.stderr, /not pending deletion\. \[CONFLICT\]/);
    const users = JSON.parse((await runCli([...data, 'users', 'list', '--json'])).stdout);
    assert.deepEqual(
      users.map((user: { userName: string; source: string; disabled: boolean }) => [user.userName, user.source, user.disabled]),
      [
        ['admin', 'manual', false],
        ['alice', 'manual', false],
        ['carol', 'directory', false],
      ],
    );
  });
});
