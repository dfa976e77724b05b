import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigestSeed, syncDigest, type DigestedUser } from '../../src/digest.js';
import { parseDigestList } from '../../src/store/users.js';
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

  it('are read back from the stored "id,digest;..." list in id order', () => {
    assert.deepEqual(parseDigestList(''), { ids: new Float64Array(0), digests: new Float64Array(0) });
    const big = 2 ** 53 - 1;
    assert.deepEqual(parseDigestList(`1,5;2,${big};10,0`), { ids: Float64Array.from([1, 2, 10]), digests: Float64Array.from([5, big, 0]) });
    assert.deepEqual(parseDigestList('10,0;1,5;2,7'), { ids: Float64Array.from([1, 2, 10]), digests: Float64Array.from([5, 7, 0]) });
    assert.throws(() => parseDigestList('1,5;x,3'));
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
