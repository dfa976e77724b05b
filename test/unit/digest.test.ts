import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigestSeed, syncDigest, type DigestedUser } from '../../src/digest.js';
import { DigestListParser } from '../../src/store/users.js';
import { digestsOf, matchDigests } from '../../src/sync/digest-match.js';

const seed = parseDigestSeed('0123456789abcdef');
const bob: DigestedUser = { userName: 'bob', stableId: 'entryUUID:b', fullName: 'Bob', emailAddresses: ['bob@x.com', 'b@x.com'], dn: 'uid=bob,dc=x', disabled: false };

describe('sync digests', () => {
  it('change with every compared field, and only with them', () => {
    const digest = syncDigest(seed, bob);
    assert.equal(syncDigest(seed, { ...bob, emailAddresses: [...bob.emailAddresses] }), digest);
    const variants: DigestedUser[] = [
      { ...bob, userName: 'Bob' },
      { ...bob, stableId: 'entryUUID:c' },
      { ...bob, stableId: null },
      { ...bob, fullName: 'Bob ' },
      { ...bob, emailAddresses: ['b@x.com', 'bob@x.com'] },
      { ...bob, emailAddresses: ['bob@x.com'] },
      { ...bob, emailAddresses: [] },
      { ...bob, dn: 'uid=bob,ou=new,dc=x' },
      { ...bob, dn: null },
      { ...bob, disabled: true },
      // Moving characters from one field to the next changes the digest: each value's length is hashed first.
      { ...bob, userName: 'bo', fullName: 'bBob' },
    ];
    const digests = new Set(variants.map((variant) => syncDigest(seed, variant)));
    assert.equal(digests.size, variants.length);
    assert.ok(!digests.has(digest));
    for (const value of [digest, ...digests]) assert.ok(Number.isSafeInteger(value) && value >= 0);
  });

  it('depend on the seed, which must be 16 hex digits', () => {
    assert.notEqual(syncDigest(parseDigestSeed('0123456789abcdee'), bob), syncDigest(seed, bob));
    assert.notEqual(syncDigest(parseDigestSeed('1123456789abcdef'), bob), syncDigest(seed, bob));
    for (const bad of ['', '0123', '0123456789ABCDEF', '0123456789abcdefg', 'zz23456789abcdef']) assert.throws(() => parseDigestSeed(bad));
  });

  it('are read back from the stored "id<tab>digest" lines as given, however the bytes are split', () => {
    const parse = (text: string, splitAt: number[] = []) => {
      const parser = new DigestListParser();
      const bytes = Buffer.from(text);
      let from = 0;
      for (const at of [...splitAt, bytes.length]) {
        parser.push(bytes.subarray(from, at));
        from = at;
      }
      return parser.finish();
    };
    assert.deepEqual(parse(''), { ids: new Float64Array(0), digests: new Float64Array(0) });
    const big = 2 ** 53 - 1;
    const text = `10\t0\n1\t${big}\n2\t7`;
    const expected = { ids: Float64Array.from([10, 1, 2]), digests: Float64Array.from([0, big, 7]) };
    for (let at = 0; at <= text.length; at++) assert.deepEqual(parse(text, [at]), expected);
    assert.deepEqual(parse(`${text}\n`), expected);
    const many = Array.from({ length: 3000 }, (_, i) => `${i}\t${i * 3}\n`).join('');
    assert.deepEqual([...parse(many).digests].slice(2997), [8991, 8994, 8997]);
    for (const bad of ['1\t5\nx\t3', '1\t', '1', '\t5', '1\t5\t6', '1\n']) assert.throws(() => parse(bad), /malformed digest list/, bad);
  });
});

describe('matching entries to stored users by digest', () => {
  const stored = { ids: Float64Array.from([11, 12, 13, 14]), digests: Float64Array.from([100, 200, 300, 400]) };

  it('pairs equal digests in storage order, and lists the stored users nobody matched', () => {
    const match = matchDigests(Float64Array.from([100, 200, 999, 400]), stored);
    assert.deepEqual([...match.unchanged], [1, 1, 0, 1]);
    assert.equal(match.unchangedCount, 3);
    assert.deepEqual(match.unmatchedIds, [13]);
  });

  it('finds the users of a directory that answers in another order', () => {
    const match = matchDigests(Float64Array.from([400, 300, 100, 200, 500]), stored);
    assert.deepEqual([...match.unchanged], [1, 1, 1, 1, 0]);
    assert.deepEqual(match.unmatchedIds, []);
  });

  it('gives a stored user to one entry only', () => {
    const match = matchDigests(Float64Array.from([100, 100]), stored);
    assert.deepEqual([...match.unchanged], [1, 0]);
    assert.deepEqual(match.unmatchedIds, [12, 13, 14]);
  });

  it('computes the digests of a list of users', () => {
    assert.deepEqual([...digestsOf([bob, { ...bob, userName: 'x' }], seed)], [syncDigest(seed, bob), syncDigest(seed, { ...bob, userName: 'x' })]);
  });
});
