import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader, LdapProtocolError, SearchEntryDecoder, type Frame, type RawAttributes } from '../../src/ldap/ber.js';

/** BER by hand, long-form lengths included, so the decoder is checked against the encoding rules, not itself. */
function length(size: number): number[] {
  if (size < 0x80) return [size];
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]);
};
const text = (value: string | Buffer) => tlv(0x04, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
const attribute = (type: string, ...values: Array<string | Buffer>) => tlv(0x30, text(type), tlv(0x31, ...values.map(text)));
const message = (id: number, operation: Buffer) => tlv(0x30, tlv(0x02, Buffer.from([id])), operation);
const entry = (id: number, dn: string, ...attributes: Buffer[]) => message(id, tlv(0x64, text(dn), tlv(0x30, ...attributes)));
const done = (id: number) => message(id, tlv(0x65, Buffer.from([0x0a, 0x01, 0x00]), text(''), text('')));

function framesOf(chunks: Buffer[]): Frame[] {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  for (const chunk of chunks) reader.push(chunk, (frame) => frames.push({ ...frame }));
  return frames;
}

describe('FrameReader', () => {
  const stream = Buffer.concat([entry(7, 'uid=a,dc=x', attribute('uid', 'a')), entry(7, 'uid=b,dc=x', attribute('description', 'x'.repeat(70_000))), done(7)]);

  it('cuts a stream into messages however the network splits it', () => {
    for (const size of [1, 2, 3, 7, 100, 4096, 65_536, stream.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
      const frames = framesOf(chunks);
      assert.deepEqual(
        frames.map((frame) => [frame.messageId, frame.operation, frame.end - frame.start]),
        [
          [7, 0x64, entry(7, 'uid=a,dc=x', attribute('uid', 'a')).length],
          [7, 0x64, entry(7, 'uid=b,dc=x', attribute('description', 'x'.repeat(70_000))).length],
          [7, 0x65, done(7).length],
        ],
        `chunks of ${size} bytes`,
      );
    }
  });

  it('refuses what is not an LDAPMessage and indefinite lengths', () => {
    assert.throws(() => framesOf([Buffer.from([0x04, 0x01, 0x41])]), LdapProtocolError);
    assert.throws(() => framesOf([Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01])]), LdapProtocolError);
  });
});

describe('SearchEntryDecoder', () => {
  // One decoder for the whole describe, as one connection keeps one: what it learns from an entry must not leak.
  const decoder = new SearchEntryDecoder();
  const decode = (bytes: Buffer, binary: string[] = []) => {
    let decoded: { dn: string; attributes: RawAttributes } | undefined;
    decoder.decode(framesOf([bytes])[0]!, new Set(binary), (dn, attributes) => (decoded = { dn, attributes }));
    return decoded!;
  };

  it('gives one value as itself, several as a list and none as an empty list', () => {
    const decoded = decode(entry(1, 'uid=jörg,dc=x', attribute('uid', 'jörg'), attribute('mail', 'a@x', 'b@x'), attribute('seeAlso')));
    assert.deepEqual(decoded, { dn: 'uid=jörg,dc=x', attributes: { uid: 'jörg', mail: ['a@x', 'b@x'], seeAlso: [] } });
  });

  it('keeps binary attributes as bytes of their own, matching their names case-insensitively', () => {
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const bytes = entry(1, 'cn=a', attribute('objectGUID', guid), attribute('cn', 'a'));
    const decoded = decode(bytes, ['objectguid']);
    const value = decoded.attributes.objectGUID as Buffer;
    assert.ok(Buffer.isBuffer(value));
    assert.deepEqual(value, guid);
    bytes.fill(0);
    assert.deepEqual(value, guid, 'copied, not a view of the network chunk');
    assert.equal(decoded.attributes.cn, 'a');
  });

  it('names attributes exactly as sent, however many types and orders the entries use', () => {
    // More types than the decoder keeps (64), in changing orders and spellings, binary ones among them.
    const types = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `attr${i}` : `Attr${i}`));
    for (let round = 0; round < 3; round++) {
      const order = round === 1 ? [...types].reverse() : types;
      const decoded = decode(entry(1, 'cn=a', ...order.map((type) => attribute(type, `${type}-value`)), attribute('objectGUID', Buffer.from([1, 2]))), ['objectguid', 'attr98']);
      assert.deepEqual(Object.keys(decoded.attributes), [...order, 'objectGUID']);
      for (const type of order) {
        const value = decoded.attributes[type];
        if (type === 'attr98') assert.deepEqual(value, Buffer.from('attr98-value'));
        else assert.equal(value, `${type}-value`);
      }
      assert.deepEqual(decoded.attributes.objectGUID, Buffer.from([1, 2]));
    }
    // A type known from earlier entries is binary or not as each search asks.
    assert.equal(decode(entry(1, 'cn=a', attribute('attr98', 'x'))).attributes.attr98, 'x');
  });

  it('decodes long values and long-form lengths', () => {
    const long = 'ü'.repeat(40_000);
    assert.equal(decode(entry(1, 'cn=a', attribute('description', long))).attributes.description, long);
  });

  it('refuses malformed entries instead of returning part of them', () => {
    const good = entry(1, 'cn=a', attribute('cn', 'a'));
    const wrongTag = Buffer.from(good);
    wrongTag[wrongTag.indexOf(0x31)] = 0x30;
    assert.throws(() => decode(wrongTag), LdapProtocolError);
    assert.throws(() => decode(entry(1, 'cn=a', attribute('__proto__', 'x'))), /__proto__/);
    // An attribute whose declared length runs past the end of the entry.
    const truncated = message(1, tlv(0x64, text('cn=a'), Buffer.from([0x30, 0x05, 0x30, 0x09, 0x04, 0x02, 0x63, 0x6e])));
    assert.throws(() => decode(truncated), LdapProtocolError);
  });

  it("keeps each connection's decoding state to itself: interleaved decoders give the same answers as separate ones", () => {
    const first = new SearchEntryDecoder();
    const second = new SearchEntryDecoder();
    const decodeWith = (decoder: SearchEntryDecoder, bytes: Buffer) => {
      let decoded: RawAttributes | undefined;
      decoder.decode(framesOf([bytes])[0]!, new Set(['photo']), (_dn, attributes) => (decoded = attributes));
      return decoded!;
    };
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(decodeWith(first, entry(1, 'cn=a', attribute('cn', 'a'), attribute('photo', 'p'))), { cn: 'a', photo: Buffer.from('p') });
      assert.deepEqual(decodeWith(second, entry(2, 'cn=b', attribute('photo', 'q'), attribute('mail', 'm'))), { photo: Buffer.from('q'), mail: 'm' });
    }
  });

  it('refuses an entry with bytes after its attribute list', () => {
    const bytes = message(1, tlv(0x64, text('cn=a'), tlv(0x30, attribute('cn', 'a')), text('extra')));
    assert.throws(() => decode(bytes), /trailing bytes/);
  });
});
