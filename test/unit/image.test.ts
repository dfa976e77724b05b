import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeImageAttributes, encodeImageAttributes } from '../../src/directory/image.js';
import { LdapProtocolError } from '../../src/ldap/ber.js';

describe('the stored directory image', () => {
  it('round-trips text and binary values, single and multi-valued', () => {
    const plain = { uid: 'alice', mail: ['a@example.com', 'b@example.com'], description: [] };
    assert.equal(encodeImageAttributes(plain), JSON.stringify(plain), 'text-only entries are stored as they are');
    assert.deepEqual(decodeImageAttributes(encodeImageAttributes(plain)), plain);
    const binary = { cn: 'bob', objectGUID: Buffer.from([0, 1, 2, 255]), photo: [Buffer.from('x'), 'text'] };
    const decoded = decodeImageAttributes(encodeImageAttributes(binary));
    assert.deepEqual(decoded, binary);
    assert.ok(Buffer.isBuffer(decoded.objectGUID));
  });

  it('refuses an attribute named __proto__', () => {
    assert.throws(() => decodeImageAttributes('{"__proto__":"x"}'), LdapProtocolError);
    assert.throws(() => decodeImageAttributes('b{"__proto__":{"$b":"AA=="}}'), LdapProtocolError);
  });
});
