/**
 * Every LDAP_* error code provoked by a real slapd, and the protocol features incremental sync builds on (entry
 * controls, intermediate responses, abandon, the password policy control) exercised against it. Result codes that
 * slapd does not produce by itself for a search (filterError, timeLimitExceeded, referral, busy, unsolicited
 * notices) come from OpenLDAP's `retcode` overlay, which exists to make a real server answer with them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRosterError, type RosterError } from '../../src/errors.js';
import { BerReader, BerWriter, CONTROL_OID, decodePasswordPolicy, findControl, passwordPolicyRequestControl, type Control } from '../../src/ldap/ber.js';
import { openBoundSession, openSession } from '../../src/ldap/connect.js';
import { LdapConnection } from '../../src/ldap/connection.js';
import { LdapConnectionClosedError, LdapResultError } from '../../src/ldap/failures.js';
import { detectBaseDn } from '../../src/ldap/rootdse.js';
import { LdapSession } from '../../src/ldap/session.js';
import type { ConnectionSettings } from '../../src/config/schema.js';
import { openLdapSettings } from '../helpers/settings.js';
import { freePort, sshaPassword, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const BASE = 'dc=example,dc=com';
const RETCODES = `ou=RetCodes,${BASE}`;
const SYNC_REQUEST = '1.3.6.1.4.1.4203.1.9.1.1';
const SYNC_STATE = '1.3.6.1.4.1.4203.1.9.1.2';
const SYNC_DONE = '1.3.6.1.4.1.4203.1.9.1.3';
const SYNC_INFO = '1.3.6.1.4.1.4203.1.9.1.4';

const ldif = `dn: ${BASE}
objectClass: domain
dc: example

dn: ou=people,${BASE}
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,${BASE}
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Archer
description: ${'a long description '.repeat(30)}
userPassword: ${sshaPassword('alice-secret')}

dn: uid=locky,ou=people,${BASE}
objectClass: inetOrgPerson
uid: locky
cn: Locky
sn: Lock
userPassword: ${sshaPassword('locky-secret')}
pwdPolicySubentry: cn=lockout,ou=policies,${BASE}

dn: ou=policies,${BASE}
objectClass: organizationalUnit
ou: policies

dn: cn=lockout,ou=policies,${BASE}
objectClass: applicationProcess
objectClass: pwdPolicy
cn: lockout
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 2
`;

const retcodeItems = [
  'retcode-item "cn=filterError" 0x57 op=search text="bad filter"',
  'retcode-item "cn=timeLimit" 0x03 op=search',
  'retcode-item "cn=sizeLimit" 0x04 op=search',
  `retcode-item "cn=referral" 0x0a op=search ref="ldap://other.example.com/${BASE}"`,
  'retcode-item "cn=busy" 0x33 op=search',
  'retcode-item "cn=slow" 0x00 op=search sleeptime=3',
  'retcode-item "cn=disconnect" 0x00 op=search flags=disconnect',
  'retcode-item "cn=notice" 0x34 op=search unsolicited=1.3.6.1.4.1.1466.20036 flags=post-disconnect',
];

let directory: TestDirectory;
let settings: ConnectionSettings;

before(async () => {
  directory = await startDirectory({
    flavor: 'openldap',
    baseDn: BASE,
    ldif,
    globalConfig: 'moduleload retcode\nmoduleload ppolicy\nmoduleload syncprov',
    databaseConfig: [`overlay retcode`, `retcode-parent "${RETCODES}"`, ...retcodeItems, 'overlay ppolicy', 'ppolicy_use_lockout', 'overlay syncprov'].join('\n'),
    extraSuffixes: ['o=second'],
  });
  settings = openLdapSettings(directory, { connection: { timeoutSeconds: 10 } }).connection;
});
after(stopAllDirectories);

async function searchFails(base: string, overrides: Partial<ConnectionSettings> = {}): Promise<RosterError> {
  const session = await openBoundSession({ ...settings, ...overrides });
  try {
    for await (const _page of session.searchPages({ base, filter: '(objectClass=*)', attributes: ['cn'], purpose: 'test search' }));
  } catch (error) {
    assert.ok(isRosterError(error), String(error));
    return error;
  } finally {
    await session.close();
  }
  assert.fail(`the search under ${base} succeeded`);
}

const causeOf = (error: RosterError) => error.cause;

describe('every LDAP_* error code, provoked by a real slapd', () => {
  it('LDAP_CONNECT_FAILED: nothing listens on the port (ECONNREFUSED)', async () => {
    const port = await freePort();
    await assert.rejects(openSession({ ...settings, server: `127.0.0.1:${port}` }), (error) => {
      assert.ok(isRosterError(error, 'LDAP_CONNECT_FAILED'));
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });

  it('LDAP_CONNECT_FAILED: the server drops the connection mid-search', async () => {
    const error = await searchFails(`cn=disconnect,${RETCODES}`);
    assert.equal(error.code, 'LDAP_CONNECT_FAILED');
    assert.ok(causeOf(error) instanceof LdapConnectionClosedError);
  });

  it('LDAP_CONNECT_FAILED: an unsolicited notice of disconnection (RFC 4511 §4.4.1) ends the connection with its reason', async () => {
    const error = await searchFails(`cn=notice,${RETCODES}`);
    assert.equal(error.code, 'LDAP_CONNECT_FAILED');
    const cause = causeOf(error);
    assert.ok(cause instanceof LdapConnectionClosedError && cause.reason === 'notice-of-disconnection', String(cause));
  });

  it('LDAP_CONNECT_FAILED: the server answers busy (51)', async () => {
    assert.equal((await searchFails(`cn=busy,${RETCODES}`)).code, 'LDAP_CONNECT_FAILED');
  });

  it('LDAP_TLS_UNTRUSTED: ldaps with a certificate from an unknown CA', async () => {
    await assert.rejects(openSession({ ...settings, server: `127.0.0.1:${directory.tlsPort}`, protocol: 'ldap-ssl' }), (error) => isRosterError(error, 'LDAP_TLS_UNTRUSTED'));
  });

  it('LDAP_TLS_FAILED: ldaps spoken to the plain LDAP port', async () => {
    await assert.rejects(openSession({ ...settings, protocol: 'ldap-ssl', caCertificate: directory.certificates.caFile }), (error) => {
      assert.ok(isRosterError(error, 'LDAP_TLS_FAILED'), String(error));
      return true;
    });
  });

  it('LDAP_INVALID_CREDENTIALS: a wrong password, not echoed', async () => {
    await assert.rejects(openBoundSession({ ...settings, password: 'wrong-password-123' }), (error) => {
      assert.ok(isRosterError(error, 'LDAP_INVALID_CREDENTIALS'));
      assert.equal((error.cause as LdapResultError).resultCode, 49);
      assert.doesNotMatch(error.message, /wrong-password-123/);
      return true;
    });
  });

  it('LDAP_NO_SUCH_BASE: a base DN that does not exist', async () => {
    assert.equal((await searchFails(`ou=missing,${BASE}`)).code, 'LDAP_NO_SUCH_BASE');
  });

  it('LDAP_BASE_DN_UNDETECTED: a root DSE with several naming contexts', async () => {
    const session = await openBoundSession(settings);
    try {
      await assert.rejects(detectBaseDn(session), (error) => isRosterError(error, 'LDAP_BASE_DN_UNDETECTED') && /o=second/.test(error.message));
    } finally {
      await session.close();
    }
  });

  it('LDAP_FILTER_REJECTED: the server answers filterError (87), and a filter that is not RFC 4515 is refused before sending', async () => {
    const rejected = await searchFails(`cn=filterError,${RETCODES}`);
    assert.equal(rejected.code, 'LDAP_FILTER_REJECTED');
    assert.equal((rejected.cause as LdapResultError).resultCode, 87);
    assert.match(rejected.message, /bad filter/);
    const session = await openBoundSession(settings);
    try {
      await assert.rejects(session.searchFew({ base: BASE, filter: '(cn=a', attributes: [], purpose: 'test' }, 1), (error) => isRosterError(error, 'LDAP_FILTER_REJECTED'));
    } finally {
      await session.close();
    }
  });

  it('LDAP_SIZE_LIMIT: the server stops the search at its size limit (4)', async () => {
    assert.equal((await searchFails(`cn=sizeLimit,${RETCODES}`)).code, 'LDAP_SIZE_LIMIT');
  });

  it('LDAP_TIME_LIMIT: the server stops the search at its time limit (3), and the client gives up on a slow answer', async () => {
    assert.equal((await searchFails(`cn=timeLimit,${RETCODES}`)).code, 'LDAP_TIME_LIMIT');
    assert.equal((await searchFails(`cn=slow,${RETCODES}`, { timeoutSeconds: 1 })).code, 'LDAP_TIME_LIMIT');
  });

  it('LDAP_REFERRAL: a referral (10), named with its URL', async () => {
    const error = await searchFails(`cn=referral,${RETCODES}`);
    assert.equal(error.code, 'LDAP_REFERRAL');
    assert.match(error.message, /ldap:\/\/other\.example\.com/);
  });

  it('LDAP_OPERATION_FAILED: an extended operation the server does not know, with its result code', async () => {
    const session = await openBoundSession(settings);
    try {
      await assert.rejects(session.extended('1.3.6.1.4.1.99999.1', 'unknown extended operation'), (error) => {
        assert.ok(isRosterError(error, 'LDAP_OPERATION_FAILED'));
        assert.equal((error.cause as LdapResultError).resultCode, 2);
        return true;
      });
      assert.match(await session.whoAmI(), /^dn:cn=roster,ou=services,dc=example,dc=com$/i, 'the connection is still usable');
    } finally {
      await session.close();
    }
  });

  it('LDAP_PROTOCOL_ERROR: a message above the size bound ends the connection', async () => {
    const connection = await LdapConnection.open({ host: directory.host, port: directory.port, timeoutMs: 5000, connectTimeoutMs: 5000, maxMessageBytes: 256 });
    const session = new LdapSession(connection, 'test');
    await session.bind(settings.administrativeDn, settings.password, 'bind');
    await assert.rejects(session.readEntry(`uid=alice,ou=people,${BASE}`, ['description'], 'read of alice'), (error) => isRosterError(error, 'LDAP_PROTOCOL_ERROR'));
    assert.equal(session.isOpen, false);
  });
});

function syncRequest(mode: 'refreshOnly' | 'refreshAndPersist'): Control {
  // RFC 4533 §2.2: syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie OPTIONAL, reloadHint DEFAULT FALSE }
  const value = new BerWriter()
    .startSequence()
    .writeEnumerated(mode === 'refreshOnly' ? 1 : 3)
    .end()
    .toBuffer();
  return { oid: SYNC_REQUEST, critical: true, value };
}

describe('controls and intermediate responses on a real server', () => {
  it('hands RFC 4533 sync state controls with each entry and the sync done control with the result', async () => {
    const session = await openBoundSession({ ...settings, administrativeDn: directory.adminDn, password: directory.adminPassword });
    try {
      const states: Array<{ dn: string; state: number }> = [];
      const done = await session.searchWithControls(
        { base: `ou=people,${BASE}`, scope: 'one', filter: '(objectClass=inetOrgPerson)', attributes: ['uid'], controls: [syncRequest('refreshOnly')], purpose: 'content sync' },
        {
          onEntry: (entry, controls) => {
            const state = new BerReader(findControl(controls, SYNC_STATE)!.value!).readSequence();
            states.push({ dn: entry.dn, state: state.readEnumerated() });
          },
        },
      );
      assert.equal(done.result.resultCode, 0);
      assert.deepEqual(states.map((s) => s.dn).sort(), [`uid=alice,ou=people,${BASE}`, `uid=locky,ou=people,${BASE}`]);
      assert.ok(
        states.every((s) => s.state === 1),
        'state add (1) during the refresh',
      );
      assert.ok(findControl(done.controls, SYNC_DONE), 'syncDone control on SearchResultDone');
    } finally {
      await session.close();
    }
  });

  it('delivers intermediate responses during a persistent search and abandons it on abort, keeping the connection', async () => {
    const session = await openBoundSession({ ...settings, administrativeDn: directory.adminDn, password: directory.adminPassword });
    try {
      const abort = new AbortController();
      const infos: string[] = [];
      const search = session.searchWithControls(
        {
          base: `ou=people,${BASE}`,
          filter: '(uid=*)',
          attributes: ['uid'],
          controls: [syncRequest('refreshAndPersist')],
          timeoutMs: 0,
          signal: abort.signal,
          purpose: 'persistent sync',
        },
        {
          onEntry: () => {},
          onIntermediate: (response) => {
            infos.push(response.name ?? '');
            abort.abort();
          },
        },
      );
      await assert.rejects(search, (error) => isRosterError(error, 'LDAP_OPERATION_FAILED') && /abandoned/.test(error.message));
      assert.deepEqual(infos, [SYNC_INFO]);
      assert.match(await session.whoAmI(), /^dn:cn=admin,dc=example,dc=com$/i);
    } finally {
      await session.close();
    }
  });

  it('reads the password policy response control of a refused bind (draft-behera accountLocked)', async () => {
    const dn = `uid=locky,ou=people,${BASE}`;
    const session = await openSession(settings);
    try {
      for (let attempt = 0; attempt < 2; attempt++)
        await assert.rejects(session.bind(dn, 'not-the-password', 'user bind'), (error) => isRosterError(error, 'LDAP_INVALID_CREDENTIALS'));
      await assert.rejects(session.bind(dn, 'locky-secret', 'user bind', [passwordPolicyRequestControl()]), (error) => {
        assert.ok(isRosterError(error, 'LDAP_INVALID_CREDENTIALS'));
        const control = findControl((error.cause as LdapResultError).controls, CONTROL_OID.passwordPolicy);
        assert.ok(control, 'password policy response control');
        assert.equal(decodePasswordPolicy(control).error, 'accountLocked');
        return true;
      });
    } finally {
      await session.close();
    }
  });
});
