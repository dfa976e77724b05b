import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedBindOutcome } from '../../src/auth/directory-bind.js';
import { encodePasswordPolicy, type PasswordPolicyValue } from '../../src/ldap/ber.js';
import { LdapResultError } from '../../src/ldap/failures.js';

const refused = (diagnosticMessage: string, policy?: PasswordPolicyValue) =>
  new LdapResultError('bind', { resultCode: 49, matchedDN: '', diagnosticMessage, referrals: [] }, policy ? [encodePasswordPolicy(policy)] : []);
const ad = (data: string) => refused(`80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data ${data}, v3839`);

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
    assert.deepEqual(refusedBindOutcome(refused('')), { ok: false, code: 'NO_ENTRY', subcode: undefined });
  });

  it('reads the password policy response control, never the diagnostic text', () => {
    assert.equal(refusedBindOutcome(refused('', { error: 'accountLocked' })).code, 'AUTH_ACCOUNT_LOCKED');
    assert.equal(refusedBindOutcome(refused('', { error: 'passwordExpired' })).code, 'AUTH_PASSWORD_EXPIRED');
    assert.equal(refusedBindOutcome(refused('', { error: 'changeAfterReset' })).code, 'AUTH_MUST_CHANGE_PASSWORD');
    assert.equal(refusedBindOutcome(refused('Account locked')).code, 'NO_ENTRY');
  });
});
