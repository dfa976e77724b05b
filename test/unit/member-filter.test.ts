import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemberIndex, compileMemberTemplate, profileEntry, type MemberTemplate } from '../../src/directory/member-filter.js';

const template = compileMemberTemplate('(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))');

function add(index: MemberIndex<string>, name: string, values: Record<string, string[]>, compiled: MemberTemplate = template): void {
  index.add(name, profileEntry(compiled, { values: (attribute) => values[attribute.toLowerCase()] ?? [] }));
}

describe('member search filter in memory', () => {
  it('indexes the attributes compared with {member}', () => {
    assert.deepEqual(template.indexedAttributes.sort(), ['cn', 'uid']);
    assert.deepEqual(template.attributes.sort(), ['cn', 'objectclass', 'uid']);
    // Requested and looked up as the template spells them: servers answer with the schema's spelling.
    assert.deepEqual(template.spelled.sort(), ['cn', 'objectClass', 'uid']);
  });

  it('resolves members case-insensitively and respects the rest of the filter', () => {
    const index = new MemberIndex<string>(template);
    add(index, 'alice-entry', { objectclass: ['inetOrgPerson', 'posixAccount'], uid: ['alice'], cn: ['Alice Archer'] });
    add(index, 'devs-entry', { objectclass: ['posixGroup'], cn: ['Developers'] });
    add(index, 'impostor', { objectclass: ['inetOrgPerson'], uid: ['developers'] });
    assert.deepEqual(index.resolve('ALICE'), ['alice-entry']);
    assert.deepEqual(index.resolve('developers'), ['devs-entry']);
    assert.deepEqual(index.resolve('ghost'), []);
  });

  it('finds nothing inherited for attributes named like Object properties', () => {
    const tricky = compileMemberTemplate('(constructor={member})');
    const index = new MemberIndex<string>(tricky);
    index.add('entry', profileEntry(tricky, { values: () => [] }));
    assert.deepEqual(index.resolve('x'), []);
  });

  it('splits the usual OR of "condition AND attribute={member}" into branches checked while reading', () => {
    assert.deepEqual(
      template.branches?.map((branch) => branch.attribute),
      ['uid', 'cn'],
    );
    assert.equal(
      profileEntry(template, { values: (attribute) => ({ objectclass: ['posixAccount'], uid: ['Alice'], cn: ['Alice Archer'] })[attribute.toLowerCase()] ?? [] }),
      'alice',
    );
    assert.equal(profileEntry(template, { values: (attribute) => ({ objectclass: ['device'], uid: ['Alice'] })[attribute.toLowerCase()] ?? [] }), undefined);
  });

  it("reads a branch's member attribute only when its condition holds, also when the condition reads it too", () => {
    const asked: string[] = [];
    const values = (attributes: Record<string, string[]>) => ({
      values: (attribute: string) => (asked.push(attribute), attributes[attribute.toLowerCase()] ?? []),
    });
    assert.equal(profileEntry(template, values({ objectclass: ['posixAccount'], uid: ['Alice'], cn: ['Alice Archer'] })), 'alice');
    assert.deepEqual(asked.sort(), ['objectClass', 'uid']);
    const both = compileMemberTemplate('(|(&(uid=*)(uid={member}))(cn={member}))');
    assert.deepEqual(profileEntry(both, values({ uid: ['Bob'], cn: ['Bobby'] })), ['bob', 'bobby']);
    assert.deepEqual(profileEntry(both, values({ uid: ['Bob', 'BOB'], cn: ['bob'] })), 'bob');
    assert.equal(profileEntry(both, values({ cn: ['Bobby'] })), 'bobby');
    // A condition that holds when its attribute is absent, on the branch's own attribute: nothing to index.
    const absent = compileMemberTemplate('(|(&(!(uid=x))(uid={member}))(cn={member}))');
    assert.equal(profileEntry(absent, values({ cn: ['Carol'] })), 'carol');
  });

  it('evaluates other indexable templates in full at lookup', () => {
    const nested = compileMemberTemplate('(&(uid={member})(|(objectClass=person)(cn={member})))');
    assert.equal(nested.branches, undefined);
    const index = new MemberIndex<string>(nested);
    add(index, 'person', { objectclass: ['person'], uid: ['bob'] }, nested);
    add(index, 'other', { objectclass: ['device'], uid: ['carol'], cn: ['x'] }, nested);
    add(index, 'named', { objectclass: ['device'], uid: ['dave'], cn: ['dave'] }, nested);
    assert.deepEqual(index.resolve('bob'), ['person']);
    assert.deepEqual(index.resolve('carol'), []);
    assert.deepEqual(index.resolve('DAVE'), ['named']);
  });

  it('cannot index a template that uses {member} inside a substring', () => {
    assert.deepEqual(compileMemberTemplate('(uid=*{member})').indexedAttributes, []);
  });
});
