import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { analyzeMemberTemplate, normalizeValue } from '../../src/config/member-template.js';
import { isRosterError } from '../../src/errors.js';
import { compileMemberTemplate, type MemberTemplate } from '../../src/directory/member-filter.js';
import { MemberIndex, profileEntry } from '../../src/directory/member-index.js';
import { batchFilter } from '../../src/directory/member-search.js';
import { ClassHierarchy, parseObjectClass } from '../../src/rfc/object-classes.js';

const PRESET = '(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))';
const CLASSES = new ClassHierarchy([
  "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
  "( 2.5.6.6 NAME 'person' DESC 'RFC2256: a person (SUP nothing)' SUP top STRUCTURAL MUST ( sn $ cn ) )",
  "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )",
  "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL )",
  "( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY MUST ( cn $ uid ) )",
  "( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top STRUCTURAL MUST ( cn $ gidNumber ) )",
  "( 9.9.9 NAME ( 'aliasedClass' 'otherName' ) SUP ( 2.5.6.6 $ posixAccount ) )",
]);
const template = compileMemberTemplate(PRESET, CLASSES);

function entryOf(values: Record<string, string[]>) {
  return { values: (attribute: string) => values[attribute.toLowerCase()] ?? [] };
}

function add(index: MemberIndex<string>, name: string, values: Record<string, string[]>, compiled: MemberTemplate = template): void {
  index.add(name, profileEntry(compiled, entryOf(values)));
}

describe('member search filter in memory, with the server semantics', () => {
  it('keeps the preset in memory when the class hierarchy is known, requesting attributes as spelled', () => {
    assert.equal(template.serverBranches.length, 0);
    assert.deepEqual(
      template.branches?.map((branch) => [branch.attribute, branch.rule]),
      [
        ['uid', 'caseIgnore'],
        ['cn', 'caseIgnore'],
      ],
    );
    assert.deepEqual(template.spelled.sort(), ['cn', 'objectClass', 'uid']);
  });

  it('resolves members by the matching rule and respects the conditions', () => {
    const index = new MemberIndex<string>(template);
    add(index, 'alice-entry', { objectclass: ['inetOrgPerson', 'posixAccount'], uid: ['alice'], cn: ['Alice Archer'] });
    add(index, 'devs-entry', { objectclass: ['posixGroup'], cn: ['Developers'] });
    add(index, 'impostor', { objectclass: ['inetOrgPerson'], uid: ['developers'] });
    assert.deepEqual(index.resolve('ALICE'), ['alice-entry']);
    // caseIgnoreMatch ignores insignificant spaces too (RFC 4518 §2.6.1).
    assert.deepEqual(index.resolve('  alice '), ['alice-entry']);
    assert.deepEqual(index.resolve('developers'), ['devs-entry']);
    assert.deepEqual(index.resolve('ghost'), []);
  });

  it('matches objectClass through superclasses, as the server does (X.501: an entry is of its classes and their superclasses)', () => {
    const persons = compileMemberTemplate('(&(objectClass=person)(uid={member}))', CLASSES);
    const index = new MemberIndex<string>(persons);
    add(index, 'listed-subclass', { objectclass: ['inetOrgPerson'], uid: ['a'] }, persons);
    add(index, 'aliased', { objectclass: ['OTHERNAME'], uid: ['b'] }, persons);
    add(index, 'group', { objectclass: ['posixGroup'], uid: ['c'] }, persons);
    assert.deepEqual(index.resolve('a'), ['listed-subclass']);
    assert.deepEqual(index.resolve('b'), ['aliased']);
    assert.deepEqual(index.resolve('c'), []);
  });

  it('sends objectClass conditions to the server when the schema could not be read', () => {
    const blind = compileMemberTemplate(PRESET);
    assert.equal(blind.branches?.length, 0);
    assert.equal(blind.serverBranches.length, 2);
  });

  it('compares memberUid case-exactly and uidNumber as integers', () => {
    const exact = compileMemberTemplate('(|(memberUid={member})(uidNumber={member}))');
    const index = new MemberIndex<string>(exact);
    add(index, 'lower', { memberuid: ['bob'] }, exact);
    add(index, 'number', { uidnumber: ['0042'] }, exact);
    assert.deepEqual(index.resolve('bob'), ['lower']);
    assert.deepEqual(index.resolve('BOB'), []);
    assert.deepEqual(index.resolve('42'), []);
    assert.equal(normalizeValue('integer', ' 42 '), '42');
    assert.equal(normalizeValue('integer', '4x'), undefined);
  });

  it('reads a branch member attribute only when its condition holds', () => {
    const asked: string[] = [];
    const values = (attributes: Record<string, string[]>) => ({ values: (attribute: string) => (asked.push(attribute), attributes[attribute.toLowerCase()] ?? []) });
    assert.equal(profileEntry(template, values({ objectclass: ['posixAccount'], uid: ['Alice'], cn: ['Alice Archer'] })), 'alice');
    assert.deepEqual(asked.sort(), ['objectClass', 'uid']);
    const both = compileMemberTemplate('(|(&(uid=*)(uid={member}))(cn={member}))');
    assert.deepEqual(profileEntry(both, values({ uid: ['Bob'], cn: ['Bobby'] })), ['bob', 'bobby']);
    assert.deepEqual(profileEntry(both, values({ uid: ['Bob', 'BOB'], cn: ['bob'] })), 'bob');
    assert.equal(profileEntry(both, values({ cn: ['Bobby'] })), 'bobby');
  });

  it('evaluates other exact templates in full at lookup', () => {
    const nested = compileMemberTemplate('(&(uid={member})(|(objectClass=person)(cn={member})))', CLASSES);
    assert.equal(nested.branches, undefined);
    const index = new MemberIndex<string>(nested);
    add(index, 'person', { objectclass: ['inetOrgPerson'], uid: ['bob'] }, nested);
    add(index, 'other', { objectclass: ['posixGroup'], uid: ['carol'], cn: ['x'] }, nested);
    add(index, 'named', { objectclass: ['posixGroup'], uid: ['dave'], cn: ['dave'] }, nested);
    assert.deepEqual(index.resolve('bob'), ['person']);
    assert.deepEqual(index.resolve('carol'), []);
    assert.deepEqual(index.resolve('DAVE'), ['named']);
  });
});

describe('member search filter on the server', () => {
  const AD = '(&(objectClass=user)(sAMAccountName={member})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';

  it("sends a branch with AD's bit-and extensible match to the server, many values per request, escaped", () => {
    const compiled = compileMemberTemplate(AD, CLASSES);
    assert.equal(compiled.branches?.length, 0);
    assert.equal(compiled.serverBranches.length, 1);
    assert.equal(
      batchFilter(compiled.serverBranches[0]!, ['alice', 'b*b', 'c)']),
      '(&(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))(|(sAMAccountName=alice)(sAMAccountName=b\\2ab)(sAMAccountName=c\\29)))',
    );
  });

  it('compares DNs given as members by distinguishedNameMatch, however they are escaped', () => {
    const compiled = compileMemberTemplate('(&(objectClass=user)(distinguishedName={member})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))', CLASSES);
    assert.equal(compiled.serverBranches[0]!.rule, 'distinguishedName');
    const inMemory = compileMemberTemplate('(entryDN={member})');
    const index = new MemberIndex<string>(inMemory);
    add(index, 'smith', { entrydn: ['CN=Smith\\2C John,OU=Staff,DC=x'] }, inMemory);
    assert.deepEqual(index.resolve('cn=smith\\, john, ou=staff,dc=X'), ['smith']);
    assert.deepEqual(index.resolve('not a dn'), []);
  });

  it('sends >= and <= to the server instead of guessing between numeric and string order', () => {
    const compiled = compileMemberTemplate('(&(uid={member})(uidNumber>=1000))', CLASSES);
    assert.equal(compiled.serverBranches.length, 1);
    assert.equal(batchFilter(compiled.serverBranches[0]!, ['x']), '(&(uidNumber>=1000)(uid=x))');
  });
});

describe('member search filters Roster refuses', () => {
  const refused = [
    '(uid=*{member})',
    '(uid={member}x)',
    '(employeeType={member})',
    '(|(uid={member})(uidNumber>=5))',
    '(&(objectClass=person)(!(uid={member})))',
    '(|(uid={member})(objectClass=person))',
    '(&(uid={member})(cn={member})(uidNumber>=1))',
  ];
  for (const filter of refused) {
    it(`refuses ${filter} at validation, naming the field`, () => {
      assert.throws(() => analyzeMemberTemplate(filter));
      try {
        validateSettings({ preset: 'openldap', connection: { server: 'x', administrativeDn: 'cn=a', password: 'p' }, groups: { memberSearchFilter: filter } });
        assert.fail('accepted');
      } catch (error) {
        assert.ok(isRosterError(error) && error.code === 'CONFIG_INVALID', String(error));
        assert.match(error.message, /groups\.memberSearchFilter/);
        assert.match(error.message, /one search per member/);
      }
    });
  }

  it('fails the read with CONFIG_INVALID for a stored template validation now refuses (settings from an older version)', () => {
    assert.throws(
      () => compileMemberTemplate('(uid=*{member})'),
      (error: unknown) => isRosterError(error) && error.code === 'CONFIG_INVALID' && /groups\.memberSearchFilter/.test(error.message),
    );
  });

  it('fails the read with CONFIG_INVALID when objectClass outside a branch cannot be evaluated without the schema', () => {
    assert.throws(
      () => compileMemberTemplate('(&(uid={member})(|(objectClass=person)(cn={member})))'),
      (error: unknown) => isRosterError(error) && error.code === 'CONFIG_INVALID' && /does not publish its schema/.test(error.message),
    );
  });

  it('accepts the presets and the AD sample', () => {
    for (const filter of [
      PRESET,
      '(&(objectClass=user)(sAMAccountName={member})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
      '(uid={member})',
      '(&(uid={member})(|(objectClass=person)(cn={member})))',
    ]) {
      assert.doesNotThrow(() => analyzeMemberTemplate(filter), filter);
    }
  });
});

describe('object class descriptions (RFC 4512 §4.1.1)', () => {
  it('reads names and superclasses, ignoring keywords inside DESC', () => {
    assert.deepEqual(parseObjectClass("( 2.5.6.6 NAME 'person' DESC 'has SUP in it' SUP top STRUCTURAL MUST ( sn $ cn ) )"), {
      names: ['2.5.6.6', 'person'],
      superclasses: ['top'],
    });
    assert.deepEqual(parseObjectClass("( 9.9 NAME ( 'a' 'B' ) SUP ( x $ 'y' ) )"), { names: ['9.9', 'a', 'b'], superclasses: ['x', 'y'] });
    assert.equal(parseObjectClass('garbage'), undefined);
  });
});
