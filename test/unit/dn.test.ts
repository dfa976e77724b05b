import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnKey, escapeDnValue, isDnWithin, normalizeDn, parseDn } from '../../src/rfc/dn.js';

describe('distinguished names (RFC 4514)', () => {
  it('treats differently escaped and cased DNs as equal', () => {
    assert.equal(normalizeDn('cn=Smith\\, John,ou=People,dc=example,dc=com'), normalizeDn('CN=smith\\2C john, OU=people,DC=Example,DC=com'));
    assert.equal(normalizeDn('cn=Zo\\C3\\AB,dc=x'), normalizeDn('cn=Zoë,dc=x'));
    assert.equal(normalizeDn('cn=a+uid=b,dc=x'), normalizeDn('uid=b+cn=a,dc=x'));
  });

  it('escapes special characters, leading spaces and hashes', () => {
    assert.equal(escapeDnValue('Smith, John'), 'Smith\\, John');
    assert.equal(escapeDnValue(' #lead'), '\\ #lead');
    assert.equal(escapeDnValue('a+b=c<d>;"e"\\'), 'a\\+b\\=c\\<d\\>\\;\\"e\\"\\\\');
    assert.equal(parseDn(`cn=${escapeDnValue('x, y+z')},dc=a`)[0]![0]!.value, 'x, y+z');
  });

  it('refuses what is not a DN', () => {
    assert.throws(() => parseDn('alice'), /not a DN/);
    assert.throws(() => parseDn('cn=a\\'), /lone backslash/);
    assert.equal(dnKey('alice@example.com'), 'alice@example.com');
  });

  it('knows whether a DN lies under a base', () => {
    assert.equal(isDnWithin('uid=a,ou=People,dc=example,dc=com', 'DC=example,DC=com'), true);
    assert.equal(isDnWithin('uid=a,dc=other,dc=com', 'dc=example,dc=com'), false);
  });
});
