import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeFilterValue, filterAttributes, parseFilter, serializeFilter } from '../../src/rfc/filter.js';

describe('LDAP filters (RFC 4515)', () => {
  it('escapes the five special characters and keeps UTF-8', () => {
    assert.equal(escapeFilterValue('a*b(c)d\\e\u0000f'), 'a\\2ab\\28c\\29d\\5ce\\00f');
    assert.equal(escapeFilterValue('Zoë'), 'Zoë');
    assert.equal(escapeFilterValue('alice)(uid=*'), 'alice\\29\\28uid=\\2a');
  });

  it('round-trips filters through parse and serialize, dropping whitespace between components', () => {
    assert.equal(serializeFilter(parseFilter('(&(objectClass=posixAccount) (mail=*))')), '(&(objectClass=posixAccount)(mail=*))');
    assert.equal(serializeFilter(parseFilter('(|(cn=a*b*c)(!(uid=x\\2a)))')), '(|(cn=a*b*c)(!(uid=x\\2a)))');
    assert.equal(serializeFilter(parseFilter('(uidNumber>=1000)')), '(uidNumber>=1000)');
    assert.equal(serializeFilter(parseFilter('(member:1.2.840.113556.1.4.1941:=cn=x)')), '(member:1.2.840.113556.1.4.1941:=cn=x)');
  });

  it('decodes escaped values', () => {
    const node = parseFilter('(cn=Smith\\2c John)');
    assert.deepEqual(node, { type: 'equal', attribute: 'cn', value: 'Smith, John' });
  });

  it('reports syntax errors in words an administrator understands', () => {
    assert.throws(() => parseFilter('(objectClass=user'), /unbalanced parentheses/);
    assert.throws(() => parseFilter('objectClass=user'), /expected "\("/);
    assert.throws(() => parseFilter(''), /empty/);
    assert.throws(() => parseFilter('(=x)'), /missing attribute name/);
    assert.throws(() => parseFilter('(cn=\\zz)'), /invalid escape/);
    assert.throws(() => parseFilter('(&)'), /at least one filter/);
    assert.throws(() => parseFilter('(cn=a))'), /unexpected text/);
    assert.throws(() => parseFilter('(bad name=x)'), /invalid attribute name/);
  });

  it('lists the attributes a filter reads', () => {
    assert.deepEqual([...filterAttributes(parseFilter('(|(&(objectClass=posixAccount)(uid=x))(cn=y))'))], ['objectclass', 'uid', 'cn']);
  });
});
