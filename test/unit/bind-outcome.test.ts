import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedBindOutcome } from '../../src/auth/directory-bind.js';

const ad = (data: string) => new Error(`80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data ${data}, v3839 Code: 0x31`);

describe('refused binds', () => {
  it('maps AD sub-codes to what the caller may learn', () => {
    assert.deepEqual(
      ['52e', '530', '531', '532', '533', '701', '773', '775'].map((data) => refusedBindOutcome(ad(data)).code),
      ['AUTH_REJECTED', 'AUTH_REJECTED', 'AUTH_REJECTED', 'AUTH_PASSWORD_EXPIRED', 'AUTH_REJECTED', 'AUTH_REJECTED', 'AUTH_MUST_CHANGE_PASSWORD', 'AUTH_ACCOUNT_LOCKED'],
    );
  });

  it('counts only wrong passwords and unknown users as failures', () => {
    const outcome = refusedBindOutcome(ad('52e'));
    assert.ok(!outcome.ok && outcome.code === 'AUTH_REJECTED' && outcome.countsAsFailure);
    const locked = refusedBindOutcome(ad('775'));
    assert.ok(!locked.ok && locked.code === 'AUTH_ACCOUNT_LOCKED' && !locked.countsAsFailure);
  });

  it('treats AD 525 and a bare OpenLDAP refusal as "no entry here", to be checked', () => {
    assert.deepEqual(refusedBindOutcome(ad('525')), { ok: false, code: 'NO_ENTRY', subcode: '525' });
    assert.deepEqual(refusedBindOutcome(new Error('Invalid Credentials Code: 0x31')), { ok: false, code: 'NO_ENTRY', subcode: undefined });
  });

  it('reads OpenLDAP ppolicy explanations', () => {
    assert.equal(refusedBindOutcome(new Error('Account locked Code: 0x31')).code, 'AUTH_ACCOUNT_LOCKED');
    assert.equal(refusedBindOutcome(new Error('Password expired Code: 0x31')).code, 'AUTH_PASSWORD_EXPIRED');
  });
});
