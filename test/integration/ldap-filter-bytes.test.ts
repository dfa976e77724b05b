import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBoundSession } from '../../src/ldap/connect.js';
import { AD_BASE, AD_GUIDS, activeDirectoryFixture, guidBytes } from '../fixtures/active-directory.js';
import { activeDirectorySettings } from '../helpers/settings.js';
import { startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;

before(async () => {
  directory = await startDirectory({ flavor: 'ad', baseDn: AD_BASE, ldif: activeDirectoryFixture() });
});
after(stopAllDirectories);

describe('filter values on the wire', () => {
  it('sends RFC 4515 escapes of bytes that are not UTF-8 as those bytes: an objectGUID finds its entry', async () => {
    const session = await openBoundSession(activeDirectorySettings(directory).connection);
    try {
      for (const guid of Object.values(AD_GUIDS)) {
        const escaped = [...guidBytes(guid)].map((byte) => '\\' + byte.toString(16).padStart(2, '0')).join('');
        const found = await session.searchFew(
          { base: AD_BASE, filter: `(objectGUID=${escaped})`, attributes: ['objectGUID'], binaryAttributes: ['objectGUID'], purpose: 'lookup by GUID' },
          2,
        );
        assert.equal(found.length, 1, `one entry for ${guid}`);
        assert.deepEqual(found[0]!.buffer('objectGUID'), guidBytes(guid));
      }
    } finally {
      await session.close();
    }
  });
});
