import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributesWorthRequesting, emailAddressesFrom, guidToString, isDisabledEntry, stableIdOf, userNameFrom } from '../../src/directory/attributes.js';
import { LdapEntry } from '../../src/ldap/entry.js';

describe('user attributes', () => {
  it('splits comma-separated values, drops invalid addresses and case-insensitive duplicates', () => {
    const result = emailAddressesFrom(['bob@example.com, b.builder@example.com', 'BOB@example.com', 'not-an-address', '']);
    assert.deepEqual(result.addresses, ['bob@example.com', 'b.builder@example.com']);
    assert.deepEqual(result.rejected, ['not-an-address']);
  });

  it('keeps only smtp proxyAddresses, the upper-case SMTP primary first', () => {
    const result = emailAddressesFrom(['smtp:second@corp.example', 'X500:/o=Corp/cn=a', 'SMTP:Primary@corp.example', 'sip:a@corp.example', 'smtp:primary@corp.example']);
    assert.deepEqual(result.addresses, ['Primary@corp.example', 'second@corp.example']);
    assert.deepEqual(result.rejected, []);
  });

  it('treats a single value like a list of one (the fast path agrees with the general one)', () => {
    for (const value of ['  alice@example.com ', 'not-an-address', '', '   ', 'smtp:alice@example.com', 'a@example.com,b@example.com']) {
      const single = emailAddressesFrom([value]);
      const general = emailAddressesFrom([value, '']);
      assert.deepEqual({ ...single }, { ...general }, JSON.stringify(value));
    }
    // Lists of plain addresses take a fast path too; an empty value sends the same list through the general rules.
    for (const list of [
      ['a@x.com', 'b@x.com'],
      ['a@x.com', 'A@X.com'],
      ['b@x.com', 'a@x.com', 'B@x.com'],
      ['a@x.com', ' b@x.com'],
      ['a@x.com', 'bad'],
    ]) {
      assert.deepEqual({ ...emailAddressesFrom(list) }, { ...emailAddressesFrom([...list, '']) }, JSON.stringify(list));
    }
    assert.deepEqual(emailAddressesFrom(['a@x.com', 'A@X.com']).addresses, ['a@x.com']);
    assert.deepEqual(emailAddressesFrom(['  alice@example.com ']).addresses, ['alice@example.com']);
    assert.deepEqual(emailAddressesFrom(['not-an-address']).rejected, ['not-an-address']);
  });

  it('formats objectGUID in AD byte order', () => {
    const bytes = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
    assert.equal(guidToString(bytes), '3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  });

  it('prefers objectGUID, then entryUUID, and falls back to the DN', () => {
    assert.equal(stableIdOf(new LdapEntry('cn=a', { entryUUID: 'ABC-1' }), 'cn=a'), 'entryUUID:abc-1');
    assert.equal(stableIdOf(new LdapEntry('cn=a', {}), 'cn=a'), 'dn:cn=a');
    assert.equal(stableIdOf(new LdapEntry('cn=a', { objectGUID: Buffer.alloc(16, 1), entryUUID: 'x' }), 'cn=a'), 'objectGUID:01010101-0101-0101-0101-010101010101');
  });

  it('flags disabled accounts from AD, 389-DS and ppolicy attributes', () => {
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { userAccountControl: '514' })), true);
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { userAccountControl: '66048' })), false);
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { nsAccountLock: 'TRUE' })), true);
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { pwdAccountLockedTime: '20260101000000Z' })), true);
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { pwdAccountLockedTime: [] })), false);
  });

  it('requests only the stable id a sample entry has, and the lock attributes of that kind of server', () => {
    assert.deepEqual(attributesWorthRequesting(new LdapEntry('uid=a', { entryUUID: 'x', objectGUID: [], userAccountControl: [] })), {
      stableId: ['entryUUID'],
      disabled: ['nsAccountLock', 'pwdAccountLockedTime'],
    });
    assert.deepEqual(attributesWorthRequesting(new LdapEntry('cn=a', { objectGUID: Buffer.alloc(16, 1), userAccountControl: '512' })), {
      stableId: ['objectGUID'],
      disabled: ['userAccountControl'],
    });
    // No sample (no user matches yet) or no stable id at all: everything stays requested.
    assert.deepEqual(attributesWorthRequesting(undefined).stableId, ['objectGUID', 'entryUUID', 'nsUniqueId', 'ipaUniqueID']);
    assert.deepEqual(attributesWorthRequesting(new LdapEntry('cn=a', {})).stableId, ['objectGUID', 'entryUUID', 'nsUniqueId', 'ipaUniqueID']);
    assert.equal(stableIdOf(new LdapEntry('cn=a', { entryUUID: 'ABC' }), 'cn=a', ['entryUUID']), 'entryUUID:abc');
    assert.equal(isDisabledEntry(new LdapEntry('cn=a', { userAccountControl: '514' }), ['nsAccountLock', 'pwdAccountLockedTime']), false);
  });

  it('cuts user names to their local part only when asked', () => {
    assert.equal(userNameFrom(' alice@example.com ', true), 'alice');
    assert.equal(userNameFrom('alice@example.com', false), 'alice@example.com');
    assert.equal(userNameFrom(undefined, true), '');
  });
});
