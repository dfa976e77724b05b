import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readDirectory } from '../../src/directory/read.js';
import { AD_BASE, AD_GUIDS, activeDirectoryFixture } from '../fixtures/active-directory.js';
import { activeDirectorySettings } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;

before(async () => {
  directory = await startDirectory({ flavor: 'ad', baseDn: AD_BASE, ldif: activeDirectoryFixture() });
});
after(stopAllDirectories);

describe('reading an Active-Directory-style directory', () => {
  it('selects users through nested DN groups with a cycle, and flags disabled accounts', async () => {
    const snapshot = await readDirectory(activeDirectorySettings(directory, { groups: { groups: ['MailStore Users'] } }));
    const users = new Map(snapshot.users.map((user) => [user.userName, user]));
    assert.deepEqual([...users.keys()].sort(), ['alice@corp.example.com', 'bob@corp.example.com', 'dave@corp.example.com']);
    assert.equal(users.get('dave@corp.example.com')!.disabled, true);
    assert.equal(users.get('bob@corp.example.com')!.disabled, false);
  });

  it('keeps smtp proxyAddresses only, the SMTP primary first', async () => {
    const snapshot = await readDirectory(activeDirectorySettings(directory, { groups: { groups: ['MailStore Users'] } }));
    const alice = snapshot.users.find((user) => user.userName.startsWith('alice'))!;
    assert.deepEqual(alice.emailAddresses, ['Alice@Corp.Example.com', 'alice.archer@corp.example.com']);
  });

  it('uses the objectGUID, decoded to its GUID string, as the stable id', async () => {
    const snapshot = await readDirectory(activeDirectorySettings(directory, { groups: { groups: ['MailStore Users'] } }));
    const alice = snapshot.users.find((user) => user.userName.startsWith('alice'))!;
    assert.equal(alice.stableId, `objectGUID:${AD_GUIDS.alice}`);
  });

  it('cuts the UPN to its local part with localPartOnly', async () => {
    const snapshot = await readDirectory(activeDirectorySettings(directory, { users: { localPartOnly: true } }));
    assert.deepEqual(snapshot.users.map((user) => user.userName).sort(), ['alice', 'bob', 'dave', 'erin']);
  });

  it('uses sAMAccountName, matched case-insensitively, and detects the base DN', async () => {
    const snapshot = await readDirectory(activeDirectorySettings(directory, { users: { userName: 'sAMAccountName', filter: '(&(objectClass=user)(sAMAccountName=ERIN))' } }));
    assert.deepEqual(
      snapshot.users.map((user) => user.userName),
      ['erin'],
    );
    assert.equal(snapshot.baseDn.toLowerCase(), AD_BASE.toLowerCase());
  });
});
