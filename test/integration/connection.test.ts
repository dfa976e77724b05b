import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { readDirectory } from '../../src/directory/read.js';
import { isRosterError } from '../../src/errors.js';
import { openBoundSession } from '../../src/ldap/connect.js';
import { OPENLDAP_BASE, openLdapFixture } from '../fixtures/openldap.js';
import { openLdapInput } from '../helpers/settings.js';
import { freePort, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

let directory: TestDirectory;

before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: OPENLDAP_BASE, ldif: openLdapFixture() });
});
after(stopAllDirectories);

function connection(overrides: Record<string, unknown>) {
  return validateSettings(openLdapInput(directory, { connection: overrides, groups: { groups: ['MailStore Users'] } }));
}

async function readsThreeUsers(overrides: Record<string, unknown>): Promise<void> {
  const snapshot = await readDirectory(connection(overrides));
  assert.equal(snapshot.users.length, 3);
}

describe('LDAP connection', () => {
  for (const [protocol, port] of [
    ['ldap-tls', () => directory.port],
    ['ldap-ssl', () => directory.tlsPort],
  ] as const) {
    describe(protocol, () => {
      it('connects when the CA is trusted through caCertificate', async () => {
        await readsThreeUsers({ protocol, server: `127.0.0.1:${port()}`, caCertificate: directory.certificates.caFile });
      });

      it('verifies the name in the certificate (localhost)', async () => {
        await readsThreeUsers({ protocol, server: `localhost:${port()}`, caCertificate: directory.certificates.caPem });
      });

      it('refuses an untrusted certificate with advice', async () => {
        await assert.rejects(readDirectory(connection({ protocol, server: `127.0.0.1:${port()}` })), (error) => {
          return isRosterError(error, 'LDAP_TLS_UNTRUSTED') && /caCertificate/.test(error.message) && /ignoreSslWarnings/.test(error.message);
        });
      });

      it('refuses a certificate signed by another CA', async () => {
        await assert.rejects(readDirectory(connection({ protocol, server: `127.0.0.1:${port()}`, caCertificate: directory.certificates.otherCaFile })), (error) =>
          isRosterError(error, 'LDAP_TLS_UNTRUSTED'),
        );
      });

      it('accepts the untrusted certificate when ignoreSslWarnings is on', async () => {
        await readsThreeUsers({ protocol, server: `127.0.0.1:${port()}`, ignoreSslWarnings: true });
      });
    });
  }

  it('connects without encryption on the plain protocol', async () => {
    await readsThreeUsers({ protocol: 'ldap' });
  });

  it('fails over past a dead server to the next one', async () => {
    const dead = await freePort();
    await readsThreeUsers({ server: `127.0.0.1:${dead} 127.0.0.1:${directory.port}` });
  });

  it('reports every server when none answers', async () => {
    const dead = [await freePort(), await freePort()];
    await assert.rejects(readDirectory(connection({ server: dead.map((port) => `127.0.0.1:${port}`).join(' '), connectTimeoutSeconds: 2 })), (error) => {
      return isRosterError(error, 'LDAP_CONNECT_FAILED') && dead.every((port) => error.message.includes(String(port)));
    });
  });

  it('rejects a wrong password with LDAP_INVALID_CREDENTIALS, without echoing the password', async () => {
    await assert.rejects(readDirectory(connection({ password: 'Wrong-Password-123' })), (error) => {
      return isRosterError(error, 'LDAP_INVALID_CREDENTIALS') && !error.message.includes('Wrong-Password-123');
    });
  });

  it('never sends a bind with an empty password', async () => {
    const settings = connection({});
    const session = await openBoundSession(settings.connection);
    await session.close();
    const before = directory.bindCount(directory.serviceDn);
    assert.ok(before > 0, 'the bind counter sees binds');
    await assert.rejects(openBoundSession({ ...settings.connection, password: '' }), (error) => isRosterError(error, 'LDAP_INVALID_CREDENTIALS'));
    assert.equal(directory.bindCount(directory.serviceDn), before);
  });

  it('times out on a server that accepts connections but never answers', async () => {
    directory.pause();
    try {
      await assert.rejects(
        readDirectory(connection({ timeoutSeconds: 1, connectTimeoutSeconds: 1 })),
        (error) => isRosterError(error) && /LDAP_(TIME_LIMIT|CONNECT_FAILED)/.test(error.code),
      );
    } finally {
      directory.resume();
    }
  });
});
