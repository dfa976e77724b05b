import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { runCli } from '../helpers/cli.js';
import { openLdapInput } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;
let work: string;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
  work = mkdtempSync(join(tmpdir(), 'roster-cli-'));
});
after(stopAllDirectories);

function settingsFile(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

describe('roster directory test FILE', () => {
  it('prints the DESIGN §4 JSON document with committed: false and writes nothing', async () => {
    const file = settingsFile('ok.yaml', openLdapInput(directory, { groups: { groups: ['MailStore Users'] } }));
    const dataDir = join(work, 'data-untouched');
    const result = await runCli(['--data', dataDir, 'directory', 'test', file, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.committed, false);
    assert.deepEqual(report.users.created.map((user: { userName: string }) => user.userName).sort(), ['alice', 'bob', 'carol']);
    const alice = report.users.created.find((user: { userName: string }) => user.userName === 'alice');
    const { stableId, ...rest } = alice;
    assert.match(stableId, /^entryUUID:/);
    assert.deepEqual(rest, {
      userName: 'alice',
      fullName: 'Alice Archer',
      emailAddresses: ['alice@example.com', 'Alice.Archer@example.com'],
      dn: 'uid=alice,ou=people,dc=example,dc=com',
      disabled: false,
      source: 'directory',
      authentication: 'directory',
      privileges: ['login'],
      archiveAccess: ['read'],
    });
    assert.deepEqual(report.users.updated, []);
    assert.deepEqual(report.users.deleted, []);
    assert.equal(report.users.unchanged, 0);
    assert.deepEqual(
      report.groups.find((group: { name: string }) => group.name === 'MailStore Users'),
      {
        name: 'MailStore Users',
        dn: 'cn=MailStore Users,ou=groups,dc=example,dc=com',
        members: 3,
        selected: true,
        description: 'Users archived by MailStore',
      },
    );
    assert.ok(report.warnings.includes("member 'ghost' of group 'MailStore Users' matched no entry"));
    assert.throws(() => readdirSync(dataDir), /ENOENT/);
  });

  it('prints a readable summary without --json', async () => {
    const file = settingsFile('ok.json', JSON.stringify(openLdapInput(directory, { groups: { groups: ['MailStore Users'] } })));
    const result = await runCli(['directory', 'test', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Users: 3 created, 0 updated, 0 deleted/);
    assert.match(result.stdout, /alice\s+Alice Archer\s+alice@example\.com/);
    assert.match(result.stdout, /Warnings:\n(\s+- .*\n)*\s+- member 'ghost' of group 'MailStore Users' matched no entry/);
  });

  it('exits 2 and names every invalid field, before connecting', async () => {
    const file = settingsFile('bad.yaml', openLdapInput(directory, { users: { filter: '(uid=*' }, groups: { memberSearchFilter: '(uid=x)' } }));
    const before = directory.bindCount();
    const result = await runCli(['directory', 'test', file, '--json']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /users\.filter: unbalanced parentheses/);
    assert.match(result.stderr, /groups\.memberSearchFilter: must contain the placeholder \{member\}/);
    assert.equal(directory.bindCount(), before);
  });

  it('exits 2 on a file that is not YAML and on a missing file', async () => {
    assert.equal((await runCli(['directory', 'test', settingsFile('broken.yaml', 'a: [b')])).code, 2);
    assert.equal((await runCli(['directory', 'test', join(work, 'missing.yaml')])).code, 2);
  });

  it('exits 1 on a directory failure, without the password in the message', async () => {
    const file = settingsFile('wrong.yaml', openLdapInput(directory, { connection: { password: 'Not-The-Password-42' } }));
    const result = await runCli(['directory', 'test', file, '--json']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /LDAP_INVALID_CREDENTIALS/);
    assert.doesNotMatch(result.stderr, /Not-The-Password-42/);
  });
});
