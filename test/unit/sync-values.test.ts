import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LdapProtocolError } from '../../src/ldap/ber.js';
import { BerReader } from '../../src/ldap/ber-reader.js';
import { decodeSyncDoneValue, decodeSyncInfoValue, decodeSyncStateValue, encodeSyncRequestValue } from '../../src/ldap/sync-values.js';

/** A definite-length TLV by hand (X.690 §8.1.3), so the decoders are checked against the rules, not the codec. */
function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const header = length < 0x80 ? [tag, length] : length < 0x100 ? [tag, 0x81, length] : [tag, 0x82, length >> 8, length & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
}

// Values built by hand from RFC 4533 §2's ASN.1, so the decoders are checked against the specification.
const octets = (value: Buffer | string) => tlv(0x04, Buffer.from(value));
const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
const uuid = (byte: number) => Buffer.alloc(16, byte);

describe('RFC 4533 values', () => {
  it('encodes the Sync Request value with and without a cookie', () => {
    assert.deepEqual(encodeSyncRequestValue('refreshOnly', undefined), Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]));
    assert.deepEqual(encodeSyncRequestValue('refreshAndPersist', Buffer.from('c')), Buffer.from([0x30, 0x06, 0x0a, 0x01, 0x03, 0x04, 0x01, 0x63]));
    const long = Buffer.alloc(300, 0x41);
    const encoded = encodeSyncRequestValue('refreshOnly', long);
    const inner = new BerReader(encoded).readSequence();
    assert.equal(inner.readEnumerated(), 1);
    assert.deepEqual(Buffer.from(inner.readOctetString()), long);
  });

  it('decodes Sync State values of every state, with and without a cookie', () => {
    for (const [code, state] of [
      [0, 'present'],
      [1, 'add'],
      [2, 'modify'],
      [3, 'delete'],
    ] as const) {
      const value = tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([code])), octets(uuid(code + 1))]));
      assert.deepEqual(decodeSyncStateValue(value), { state, uuid: uuid(code + 1).toString('hex') });
    }
    const withCookie = tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([1])), octets(uuid(9)), octets('rid=1')]));
    assert.equal(decodeSyncStateValue(withCookie).cookie?.toString(), 'rid=1');
  });

  it('decodes Sync Done values with their defaults', () => {
    assert.deepEqual(decodeSyncDoneValue(undefined), { refreshDeletes: false });
    assert.deepEqual(decodeSyncDoneValue(tlv(0x30, Buffer.alloc(0))), { refreshDeletes: false });
    const value = decodeSyncDoneValue(tlv(0x30, Buffer.concat([octets('c1'), bool(true)])));
    assert.equal(value.cookie?.toString(), 'c1');
    assert.equal(value.refreshDeletes, true);
  });

  it('decodes every Sync Info choice', () => {
    assert.equal((decodeSyncInfoValue(tlv(0x80, Buffer.from('n'))) as { cookie: Buffer }).cookie.toString(), 'n');
    assert.deepEqual(decodeSyncInfoValue(tlv(0xa1, Buffer.alloc(0))), { kind: 'refreshDelete', refreshDone: true });
    assert.deepEqual(decodeSyncInfoValue(tlv(0xa2, bool(false))), { kind: 'refreshPresent', refreshDone: false });
    const idSet = decodeSyncInfoValue(tlv(0xa3, Buffer.concat([octets('k'), bool(true), tlv(0x31, Buffer.concat([octets(uuid(1)), octets(uuid(2))]))])));
    assert.equal(idSet.kind, 'syncIdSet');
    assert.deepEqual(idSet.kind === 'syncIdSet' && [idSet.cookie?.toString(), idSet.refreshDeletes, idSet.uuids], ['k', true, [uuid(1).toString('hex'), uuid(2).toString('hex')]]);
    const presentSet = decodeSyncInfoValue(tlv(0xa3, tlv(0x31, octets(uuid(3)))));
    assert.deepEqual(presentSet, { kind: 'syncIdSet', refreshDeletes: false, uuids: [uuid(3).toString('hex')] });
  });

  it('refuses malformed values with a protocol error naming the problem', () => {
    assert.throws(() => decodeSyncStateValue(tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([1])), octets('short')]))), /syncUUID is not 16 octets/);
    assert.throws(() => decodeSyncStateValue(tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([7])), octets(uuid(1))]))), /unknown sync state 7/);
    assert.throws(() => decodeSyncInfoValue(tlv(0xa5, Buffer.alloc(0))), /unknown syncInfoValue choice/);
    assert.throws(() => decodeSyncDoneValue(Buffer.from([0x30, 0x05, 0x04, 0x09])), LdapProtocolError);
    assert.throws(() => decodeSyncStateValue(Buffer.concat([tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([1])), octets(uuid(1))])), Buffer.from([0])])), /syncStateValue/);
  });

  it('never throws anything but a protocol error on random or mutated bytes', () => {
    const valid = [
      tlv(0x30, Buffer.concat([tlv(0x0a, Buffer.from([1])), octets(uuid(1)), octets('c')])),
      tlv(0xa3, Buffer.concat([octets('k'), bool(true), tlv(0x31, octets(uuid(2)))])),
      tlv(0x30, Buffer.concat([octets('c1'), bool(true)])),
    ];
    const decoders = [decodeSyncStateValue, decodeSyncInfoValue, decodeSyncDoneValue];
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([bytes, at, byte, cut]) => {
      const copy = Buffer.from(bytes);
      copy[at % copy.length] = byte;
      return copy.subarray(0, 1 + (cut % copy.length));
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
          mutated,
        ),
        (bytes) => {
          for (const decode of decoders) {
            try {
              decode(bytes);
            } catch (error) {
              if (!(error instanceof LdapProtocolError)) throw error;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
