import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BerReader,
  BerWriter,
  CONTROL_OID,
  FrameReader,
  LdapProtocolError,
  SearchEntryDecoder,
  decodePagedResults,
  decodePasswordPolicy,
  encodePasswordPolicy,
  pagedResultsControl,
  passwordPolicyRequestControl,
  type Control,
  type Frame,
} from '../../src/ldap/ber.js';
import { decodeResponse, encodeAbandonRequest, encodeBindRequest, encodeExtendedRequest, encodeSearchRequest, encodeUnbindRequest, EXTENDED_OID } from '../../src/ldap/messages.js';
import { toRosterError } from '../../src/ldap/errors.js';
import { LdapResultError } from '../../src/ldap/failures.js';
import { parseFilter } from '../../src/rfc/filter.js';
import { decodeRequest, encodeResponse } from '../helpers/ldap-wire.js';

function onlyFrame(bytes: Buffer, max?: number): Frame {
  const frames: Frame[] = [];
  new FrameReader(max).push(bytes, (frame) => frames.push({ ...frame }));
  assert.equal(frames.length, 1);
  return frames[0]!;
}

describe('LDAP request encoding', () => {
  it('encodes a simple bind byte for byte as RFC 4511 §4.2 and X.690 say', () => {
    // 30 11 | 02 01 01 (id 1) | 60 0c: 02 01 03 (version 3), 04 04 "cn=a", 80 01 "b" (simple)
    assert.equal(encodeBindRequest(1, 'cn=a', 'b').toString('hex'), '3011020101600c02010304046' + '36e3d61800162');
  });

  it('encodes a search with every filter choice and decodes back to the same tree', () => {
    const filter =
      '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(cn=a*b*c)(sn~=smith)(uidNumber>=1000)(uidNumber<=2000))(mail=*)(cn:dn:caseExactMatch:=Ü\\2a)(:caseIgnoreMatch:=x))';
    const bytes = encodeSearchRequest(7, { base: 'dc=example,dc=com', scope: 'one', filter, attributes: ['cn', 'mail'], sizeLimit: 5, timeLimit: 9 }, [
      pagedResultsControl({ size: 500, cookie: Buffer.from([1, 2, 3]) }, true),
    ]);
    const decoded = decodeRequest(bytes);
    assert.equal(decoded.messageId, 7);
    assert.deepEqual(decoded.request, {
      type: 'search',
      base: 'dc=example,dc=com',
      scope: 1,
      deref: 0,
      sizeLimit: 5,
      timeLimit: 9,
      typesOnly: false,
      filter: parseFilter(filter),
      attributes: ['cn', 'mail'],
    });
    assert.equal(decoded.controls.length, 1);
    assert.deepEqual(decoded.controls[0]!.critical, true);
    assert.deepEqual(decodePagedResults(decoded.controls[0]!), { size: 500, cookie: Buffer.from([1, 2, 3]) });
  });

  it('sends RFC 4515 escapes as the bytes they stand for', () => {
    const decoded = decodeRequest(encodeSearchRequest(2, { base: '', scope: 'base', filter: '(cn=a\\28b\\29\\5c\\2a\\c3\\bc)', attributes: [] }));
    assert.equal(decoded.request.type === 'search' && decoded.request.filter.type === 'equal' && decoded.request.filter.value, 'a(b)\\*ü');
  });

  it('encodes extended, unbind and abandon requests', () => {
    assert.deepEqual(decodeRequest(encodeExtendedRequest(3, EXTENDED_OID.startTls)), { messageId: 3, request: { type: 'extended', oid: EXTENDED_OID.startTls }, controls: [] });
    assert.deepEqual(decodeRequest(encodeExtendedRequest(4, '1.2.3', Buffer.from('v'), [passwordPolicyRequestControl()])), {
      messageId: 4,
      request: { type: 'extended', oid: '1.2.3', value: Buffer.from('v') },
      controls: [{ oid: CONTROL_OID.passwordPolicy, critical: false }],
    });
    assert.deepEqual(decodeRequest(encodeUnbindRequest(5)), { messageId: 5, request: { type: 'unbind' }, controls: [] });
    assert.deepEqual(decodeRequest(encodeAbandonRequest(6, 300)), { messageId: 6, request: { type: 'abandon', abandonId: 300 }, controls: [] });
  });

  it('refuses a filter nested deeper than the bound before sending anything', () => {
    const deep = '(!'.repeat(70) + '(cn=x)' + ')'.repeat(70);
    assert.throws(() => encodeSearchRequest(1, { base: '', scope: 'sub', filter: deep, attributes: [] }), /nested deeper/);
  });
});

describe('LDAP response decoding', () => {
  it('decodes results with referrals and response controls', () => {
    const controls: Control[] = [pagedResultsControl({ size: 0, cookie: Buffer.from('next') }), { oid: '1.2.3', critical: true }];
    const response = decodeResponse(onlyFrame(encodeResponse(9, { kind: 'searchDone', result: { resultCode: 10, diagnosticMessage: 'go', referrals: ['ldap://b/'] } }, controls)));
    assert.deepEqual(response, { kind: 'searchDone', result: { resultCode: 10, matchedDN: '', diagnosticMessage: 'go', referrals: ['ldap://b/'] }, controls });
  });

  it('decodes extended and intermediate responses, references, and their controls', () => {
    const whoAmI = decodeResponse(onlyFrame(encodeResponse(2, { kind: 'extended', result: { resultCode: 0 }, value: Buffer.from('dn:cn=x') })));
    assert.deepEqual(whoAmI, { kind: 'extended', result: { resultCode: 0, matchedDN: '', diagnosticMessage: '', referrals: [] }, value: Buffer.from('dn:cn=x'), controls: [] });
    const syncInfo = decodeResponse(onlyFrame(encodeResponse(3, { kind: 'intermediate', name: '1.3.6.1.4.1.4203.1.9.1.4', value: Buffer.from([0xa1, 0]) })));
    assert.deepEqual(syncInfo, { kind: 'intermediate', name: '1.3.6.1.4.1.4203.1.9.1.4', value: Buffer.from([0xa1, 0]), controls: [] });
    const control = { oid: '1.3.6.1.4.1.4203.1.9.1.2', critical: false, value: Buffer.from([0x30, 0]) };
    const reference = decodeResponse(onlyFrame(encodeResponse(3, { kind: 'searchReference', uris: ['ldap://a/ou=x', 'ldap://b/ou=x'] }, [control])));
    assert.deepEqual(reference, { kind: 'searchReference', uris: ['ldap://a/ou=x', 'ldap://b/ou=x'], controls: [control] });
  });

  it('hands entry controls with the entry, and a shared empty list without them', () => {
    const control = { oid: '1.3.6.1.4.1.4203.1.9.1.2', critical: false, value: Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]) };
    const decoder = new SearchEntryDecoder();
    const seen: Array<readonly Control[]> = [];
    for (const controls of [[control], undefined]) {
      decoder.decode(onlyFrame(encodeResponse(4, { kind: 'searchEntry', dn: 'cn=a', attributes: [['cn', ['a']]] }, controls)), new Set(), (_dn, _attributes, got) =>
        seen.push(got),
      );
    }
    assert.deepEqual(seen, [[control], []]);
  });

  it('refuses trailing elements, unknown operations and a reference without URI', () => {
    const extra = encodeResponse(1, { kind: 'searchDone', result: { resultCode: 0 } });
    const withTrailing = Buffer.concat([extra.subarray(0, 2), extra.subarray(2)]);
    withTrailing[1]! += 2;
    withTrailing[6]! += 2;
    assert.throws(() => decodeResponse(onlyFrame(Buffer.concat([withTrailing, Buffer.from([0x04, 0x00])]))), LdapProtocolError);
    assert.throws(() => decodeResponse(onlyFrame(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x6f, 0x00]))), LdapProtocolError);
    assert.throws(() => decodeResponse(onlyFrame(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x73, 0x00]))), /without a URI/);
  });

  it('refuses a message above the size bound from its header, before buffering it', () => {
    const reader = new FrameReader(1024);
    assert.throws(() => reader.push(Buffer.from([0x30, 0x82, 0x04, 0x01]), () => {}), /larger than the accepted maximum/);
    const entry = encodeResponse(1, { kind: 'searchEntry', dn: 'cn=a', attributes: [['description', ['x'.repeat(2000)]]] });
    assert.throws(() => onlyFrame(entry, 1024), LdapProtocolError);
  });

  it('refuses BER nested deeper than the bound', () => {
    const writer = new BerWriter();
    for (let depth = 0; depth < 40; depth++) writer.startSequence();
    for (let depth = 0; depth < 40; depth++) writer.end();
    let reader = new BerReader(writer.toBuffer());
    assert.throws(() => {
      for (;;) reader = reader.readSequence();
    }, /nesting deeper/);
  });
});

describe('controls', () => {
  it('decodes the password policy response control of draft-behera §6.2', () => {
    // As OpenLDAP's ppolicy overlay sends them: warning [0] { timeBeforeExpiration [0] }, error [1] ENUMERATED.
    assert.deepEqual(decodePasswordPolicy({ oid: CONTROL_OID.passwordPolicy, critical: false, value: Buffer.from('3008a006800400015180', 'hex') }), {
      timeBeforeExpiration: 86400,
    });
    assert.deepEqual(decodePasswordPolicy({ oid: CONTROL_OID.passwordPolicy, critical: false, value: Buffer.from('3003810101', 'hex') }), { error: 'accountLocked', errorCode: 1 });
    for (const value of [
      { graceAuthNsRemaining: 2, error: 'passwordExpired' as const, errorCode: 0 },
      { timeBeforeExpiration: 5 },
      { error: 'unknown' as const, errorCode: 42 },
      {},
    ]) {
      assert.deepEqual(decodePasswordPolicy(encodePasswordPolicy(value)), value);
    }
  });
});

describe('error mapping', () => {
  // The server side of these is provoked against slapd in test/integration/ldap-errors.test.ts; result codes slapd
  // never sends for a search (it evaluates bad filters as Undefined) are mapped from the typed error here.
  it('maps result codes, not texts, to RosterError codes', () => {
    const error = (resultCode: number, diagnosticMessage = 'Invalid credentials') => new LdapResultError('search', { resultCode, matchedDN: '', diagnosticMessage, referrals: [] });
    assert.equal(toRosterError(error(87), 'search').code, 'LDAP_FILTER_REJECTED');
    assert.equal(toRosterError(error(18), 'search').code, 'LDAP_FILTER_REJECTED');
    assert.equal(toRosterError(error(17), 'search').code, 'LDAP_FILTER_REJECTED');
    assert.equal(toRosterError(error(11), 'search').code, 'LDAP_SIZE_LIMIT');
    assert.equal(toRosterError(error(3), 'search').code, 'LDAP_TIME_LIMIT');
    assert.equal(toRosterError(error(52), 'search').code, 'LDAP_CONNECT_FAILED');
    // A diagnostic that reads like another failure changes nothing: only the code counts.
    assert.equal(toRosterError(error(80, 'Invalid credentials'), 'search').code, 'LDAP_OPERATION_FAILED');
  });
});
