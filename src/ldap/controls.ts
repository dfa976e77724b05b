/**
 * Controls (RFC 4511 §4.1.11) on the wire, and typed codecs for the ones Roster reads itself. A control is
 * `{ oid, critical, value? }` with `value` the raw BER of controlValue: controls Roster does not know (RFC 4533
 * sync state, AD DirSync) pass through untouched and are decoded by whoever asked for them, with BerReader.
 */
import { BerReader } from './ber-reader.js';
import { BER_TAG, BerWriter } from './ber-writer.js';
import { LdapProtocolError, type Control } from './failures.js';

export type { Control } from './failures.js';

/** Context tag [0] of LDAPMessage.controls. */
export const CONTROLS_TAG = 0xa0;

export const CONTROL_OID = {
  pagedResults: '1.2.840.113556.1.4.319',
  passwordPolicy: '1.3.6.1.4.1.42.2.27.8.5.1',
} as const;

/** Writes `[0] Controls` into an open LDAPMessage; nothing when there are none (the field is OPTIONAL). */
export function writeControls(writer: BerWriter, controls: readonly Control[] | undefined): void {
  if (!controls || controls.length === 0) return;
  writer.startSequence(CONTROLS_TAG);
  for (const control of controls) {
    writer.startSequence().writeOctetString(control.oid);
    // criticality is BOOLEAN DEFAULT FALSE: DER omits the default.
    if (control.critical) writer.writeBoolean(true);
    if (control.value !== undefined) writer.writeOctetString(control.value);
    writer.end();
  }
  writer.end();
}

/** Reads `[0] Controls` from the reader's position (the rest of an LDAPMessage); values are copied out of the message. */
export function readControls(reader: BerReader): Control[] {
  if (reader.atEnd) return [];
  const list = reader.readSequence(CONTROLS_TAG);
  const controls: Control[] = [];
  while (!list.atEnd) {
    const element = list.readSequence();
    const oid = element.readString();
    const critical = element.peekTag() === BER_TAG.boolean ? element.readBoolean() : false;
    const value = element.peekTag() === BER_TAG.octetString ? Buffer.from(element.readOctetString()) : undefined;
    element.expectEnd(`control ${oid}`);
    controls.push(value === undefined ? { oid, critical } : { oid, critical, value });
  }
  reader.expectEnd('LDAPMessage');
  return controls;
}

export function findControl(controls: readonly Control[] | undefined, oid: string): Control | undefined {
  return controls?.find((control) => control.oid === oid);
}

/** RFC 2696 realSearchControlValue: the page size asked for (request) or the estimate (response), and the cookie. */
export interface PagedResultsValue {
  readonly size: number;
  readonly cookie: Buffer;
}

export function pagedResultsControl(value: PagedResultsValue, critical = false): Control {
  const writer = new BerWriter(32 + value.cookie.length);
  writer.startSequence().writeInteger(value.size).writeOctetString(value.cookie).end();
  return { oid: CONTROL_OID.pagedResults, critical, value: writer.toBuffer() };
}

export function decodePagedResults(control: Control): PagedResultsValue {
  if (!control.value) throw new LdapProtocolError('paged results control without a value');
  const sequence = new BerReader(control.value).readSequence();
  const size = sequence.readInteger();
  const cookie = Buffer.from(sequence.readOctetString());
  return { size, cookie };
}

/** draft-behera-ldap-password-policy-11 §6.2: the error enumeration, by name. */
export const PASSWORD_POLICY_ERRORS = [
  'passwordExpired',
  'accountLocked',
  'changeAfterReset',
  'passwordModNotAllowed',
  'mustSupplyOldPassword',
  'insufficientPasswordQuality',
  'passwordTooShort',
  'passwordTooYoung',
  'passwordInHistory',
  'passwordTooLong',
] as const;

export type PasswordPolicyError = (typeof PASSWORD_POLICY_ERRORS)[number];

export interface PasswordPolicyValue {
  readonly timeBeforeExpiration?: number;
  readonly graceAuthNsRemaining?: number;
  /** The error's name; `unknown` for a number the draft does not define. */
  readonly error?: PasswordPolicyError | 'unknown';
  /** The error's number as sent. */
  readonly errorCode?: number;
}

/** The request control (no value): asks a server with a password policy to explain a bind in the response control. */
export function passwordPolicyRequestControl(): Control {
  return { oid: CONTROL_OID.passwordPolicy, critical: false };
}

const PPOLICY_TAG = { warning: 0xa0, timeBeforeExpiration: 0x80, graceAuthNsRemaining: 0x81, error: 0x81 } as const;

/** PasswordPolicyResponseValue ::= SEQUENCE { warning [0] CHOICE {...} OPTIONAL, error [1] ENUMERATED OPTIONAL }. */
export function decodePasswordPolicy(control: Control): PasswordPolicyValue {
  if (!control.value) return {};
  const sequence = new BerReader(control.value).readSequence();
  let result: { -readonly [K in keyof PasswordPolicyValue]: PasswordPolicyValue[K] } = {};
  if (sequence.peekTag() === PPOLICY_TAG.warning) {
    const warning = sequence.readSequence(PPOLICY_TAG.warning);
    if (warning.peekTag() === PPOLICY_TAG.timeBeforeExpiration) result.timeBeforeExpiration = warning.readInteger(PPOLICY_TAG.timeBeforeExpiration);
    else result.graceAuthNsRemaining = warning.readInteger(PPOLICY_TAG.graceAuthNsRemaining);
    warning.expectEnd('password policy warning');
  }
  if (sequence.peekTag() === PPOLICY_TAG.error) {
    const code = sequence.readEnumerated(PPOLICY_TAG.error);
    result = { ...result, error: PASSWORD_POLICY_ERRORS[code] ?? 'unknown', errorCode: code };
  }
  sequence.expectEnd('password policy response');
  return result;
}

/** Encodes a response value (for tests and for servers Roster may simulate); inverse of decodePasswordPolicy. */
export function encodePasswordPolicy(value: PasswordPolicyValue): Control {
  const writer = new BerWriter(16);
  writer.startSequence();
  if (value.timeBeforeExpiration !== undefined) writer.startSequence(PPOLICY_TAG.warning).writeInteger(value.timeBeforeExpiration, PPOLICY_TAG.timeBeforeExpiration).end();
  else if (value.graceAuthNsRemaining !== undefined) writer.startSequence(PPOLICY_TAG.warning).writeInteger(value.graceAuthNsRemaining, PPOLICY_TAG.graceAuthNsRemaining).end();
  const code = value.errorCode ?? (value.error === undefined ? -1 : PASSWORD_POLICY_ERRORS.indexOf(value.error as PasswordPolicyError));
  if (code >= 0) writer.writeEnumerated(code, PPOLICY_TAG.error);
  writer.end();
  return { oid: CONTROL_OID.passwordPolicy, critical: false, value: writer.toBuffer() };
}
