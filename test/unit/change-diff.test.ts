import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeChange, diffText } from '../../src/admin/change-diff.js';

describe('a recorded change as a readable diff', () => {
  it('shows each changed field as old → new and addresses as added/removed, compared case-insensitively', () => {
    const lines = describeChange({
      userName: 'bob',
      action: 'updated',
      detail: {
        userName: { from: 'bob', to: 'robert' },
        emailAddresses: { from: ['Bob@Example.com', 'old@example.com'], to: ['bob@example.com', 'new@example.com'] },
        disabled: { from: false, to: true },
        dn: { from: 'uid=bob,dc=x', to: null },
      },
    });
    assert.deepEqual(lines, [
      { kind: 'changed', field: 'user name', from: 'bob', to: 'robert' },
      { kind: 'list', field: 'addresses', added: ['new@example.com'], removed: ['old@example.com'], reordered: false },
      { kind: 'changed', field: 'disabled', from: 'no', to: 'yes' },
      { kind: 'changed', field: 'DN', from: 'uid=bob,dc=x', to: '(none)' },
    ]);
    assert.equal(diffText(lines), 'user name: bob → robert; addresses: added new@example.com; removed old@example.com; disabled: no → yes; DN: uid=bob,dc=x → (none)');
  });

  it('says when only the order of the addresses changed (a new primary address)', () => {
    const [line] = describeChange({ userName: 'a', action: 'updated', detail: { emailAddresses: { from: ['a@x', 'b@x'], to: ['b@x', 'a@x'] } } });
    assert.deepEqual(line, { kind: 'list', field: 'addresses', added: [], removed: [], reordered: true });
    assert.equal(diffText([line!]), 'addresses: reordered');
  });

  it('lists the fields of a creation and the reason of a deletion', () => {
    assert.equal(
      diffText(describeChange({ userName: 'c', action: 'created', detail: { fullName: 'Carol', emailAddresses: ['c@x', 'd@x'], dn: 'uid=c' } })),
      'full name: Carol; addresses: c@x, d@x; DN: uid=c',
    );
    assert.equal(diffText(describeChange({ userName: 'd', action: 'deleted', detail: { reason: 'no longer in group Staff' } })), 'reason: no longer in group Staff');
  });
});
