import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { OPENLDAP_BASE, USER_PASSWORD, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;
let data: string;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  data = mkdtempSync(join(tmpdir(), 'roster-cli-login-'));
  const file = join(data, 'settings.yaml');
  writeFileSync(file, stringify(openLdapInput(directory, { groups: { groups: ['MailStore Users'] }, login: { failureResponseMs: 0 } })));
  assert.equal((await runCli(['--data', data, 'directory', 'set', file])).code, 0);
  assert.equal((await runCli(['--data', data, 'directory', 'sync'])).code, 0);
});
after(stopAllDirectories);

describe('roster login NAME --password-stdin', () => {
  it('prints the user as JSON and exits 0 on success', async () => {
    const result = await runCli(['--data', data, 'login', 'alice', '--password-stdin'], { input: `${USER_PASSWORD}\n` });
    assert.equal(result.code, 0, result.stderr);
    const user = JSON.parse(result.stdout);
    assert.equal(user.userName, 'alice');
    assert.equal(user.source, 'directory');
  });

  it('exits 1 with a reason that does not tell unknown users from wrong passwords; the log says why, without the password', async () => {
    const wrong = await runCli(['--data', data, 'login', 'alice', '--password-stdin'], { input: 'Wrong-Secret-77\n' });
    const unknown = await runCli(['--data', data, 'login', 'nobody', '--password-stdin'], { input: 'Wrong-Secret-77\n' });
    assert.equal(wrong.code, 1);
    assert.equal(unknown.code, 1);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr, unknown.stderr);
    assert.match(wrong.stderr, /Invalid user name or password\. \[AUTH_REJECTED\]/);
    const log = readFileSync(join(data, 'roster.log'), 'utf8');
    assert.match(log, /"reason":"directory rejected the password"/);
    assert.match(log, /"reason":"unknown user"/);
    assert.doesNotMatch(log, /Wrong-Secret-77/);
    assert.doesNotMatch(log, new RegExp(USER_PASSWORD));
  });

  it('exits 2 without --password-stdin', async () => {
    assert.equal((await runCli(['--data', data, 'login', 'alice'])).code, 2);
  });

  it('prints its version', async () => {
    const result = await runCli(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  });
});
