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

  it('keys plain DNs by lower-casing, exactly as the full normalizer does', () => {
    const samples = [
      'uid=Alice,ou=People,dc=example,dc=com',
      'CN=Smith John,OU=Sales Team,DC=Example,DC=com',
      'cn=Zoë Ünal,dc=x',
      'cn=a  b,dc=x',
      'cn=a\tb,dc=x',
      'cn=trailing ,dc=x',
      'cn= leading,dc=x',
      'cn=#hash,dc=x',
      'cn=a=b,dc=x',
      'cn=a+uid=b,dc=x',
      'cn=Smith\\, John,dc=x',
      'cn=x, ou=spaced,dc=x',
      'cn=x;ou=semicolon',
      '2.5.4.3=oid,dc=x',
      'cn=a\u00a0b,dc=x',
      'alice@example.com',
      'uid=u000001,ou=people,dc=bench,dc=example',
    ];
    for (const sample of samples) {
      let expected: string;
      try {
        expected = normalizeDn(sample);
      } catch {
        expected = sample.trim().toLowerCase();
      }
      assert.equal(dnKey(sample), expected, sample);
    }
  });

  it('knows whether a DN lies under a base', () => {
    assert.equal(isDnWithin('uid=a,ou=People,dc=example,dc=com', 'DC=example,DC=com'), true);
    assert.equal(isDnWithin('uid=a,dc=other,dc=com', 'dc=example,dc=com'), false);
  });
});
