import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemberIndex, attributeBag, compileMemberTemplate } from '../../src/directory/member-filter.js';

const template = compileMemberTemplate('(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))');

function candidate(name: string, values: Record<string, string[]>) {
  return { target: name, attributes: attributeBag(template.attributes, (attribute) => values[attribute] ?? []) };
}

describe('member search filter in memory', () => {
  it('indexes the attributes compared with {member}', () => {
    assert.deepEqual(template.indexedAttributes.sort(), ['cn', 'uid']);
    assert.deepEqual(template.attributes.sort(), ['cn', 'objectclass', 'uid']);
  });

  it('resolves members case-insensitively and respects the rest of the filter', () => {
    const index = new MemberIndex<string>(template);
    index.add(candidate('alice-entry', { objectclass: ['inetOrgPerson', 'posixAccount'], uid: ['alice'], cn: ['Alice Archer'] }));
    index.add(candidate('devs-entry', { objectclass: ['posixGroup'], cn: ['Developers'] }));
    index.add(candidate('impostor', { objectclass: ['inetOrgPerson'], uid: ['developers'] }));
    assert.deepEqual(index.resolve('ALICE'), ['alice-entry']);
    assert.deepEqual(index.resolve('developers'), ['devs-entry']);
    assert.deepEqual(index.resolve('ghost'), []);
  });

  it('finds nothing inherited for attributes named like Object properties', () => {
    const tricky = compileMemberTemplate('(constructor={member})');
    const index = new MemberIndex<string>(tricky);
    index.add({ target: 'entry', attributes: attributeBag(tricky.attributes, () => []) });
    assert.deepEqual(index.resolve('x'), []);
  });

  it('cannot index a template that uses {member} inside a substring', () => {
    assert.deepEqual(compileMemberTemplate('(uid=*{member})').indexedAttributes, []);
  });
});
