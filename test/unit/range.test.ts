import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LdapEntry } from '../../src/ldap/entry.js';
import { rangedChunk } from '../../src/ldap/range.js';

describe('AD ranged attribute retrieval', () => {
  it('reads a first chunk and where the next starts', () => {
    const entry = new LdapEntry('cn=big', { 'member;range=0-1499': ['cn=a', 'cn=b'] });
    assert.deepEqual(rangedChunk(entry, 'member'), { values: ['cn=a', 'cn=b'], nextStart: 1500 });
  });

  it('knows the last chunk by its "*" end', () => {
    const entry = new LdapEntry('cn=big', { 'member;range=1500-*': ['cn=c'] });
    assert.deepEqual(rangedChunk(entry, 'member'), { values: ['cn=c'], nextStart: undefined });
  });

  it('reads a plain attribute as one complete chunk', () => {
    assert.deepEqual(rangedChunk(new LdapEntry('cn=small', { member: 'cn=a' }), 'Member'), { values: ['cn=a'], nextStart: undefined });
  });
});
