/**
 * The LDAP codec's public primitives, in one import for modules that encode or decode control values and
 * extended operations of their own (RFC 4533 content sync, AD DirSync):
 * - BerWriter / BerReader: BER of the LDAP subset (definite lengths, bounded nesting), see their headers;
 * - Control and the helpers to find, build and decode the controls Roster knows (paged results, password policy);
 * - the typed failures; a malformed value read with BerReader throws LdapProtocolError.
 * The message-level codec (requests, responses, search entries) is messages.ts, frame.ts and entry-decoder.ts.
 * These names are kept stable: others build on them.
 */
export { BerReader, MAX_READ_DEPTH, type BerElement } from './ber-reader.js';
export { BER_TAG, BerWriter, MAX_WRITE_DEPTH } from './ber-writer.js';
export {
  CONTROL_OID,
  PASSWORD_POLICY_ERRORS,
  decodePagedResults,
  decodePasswordPolicy,
  encodePasswordPolicy,
  findControl,
  pagedResultsControl,
  passwordPolicyRequestControl,
  type PagedResultsValue,
  type PasswordPolicyError,
  type PasswordPolicyValue,
} from './controls.js';
export { LdapProtocolError, LdapResultError, type Control, type LdapResult } from './failures.js';
export { FrameReader, MAX_MESSAGE_BYTES, type Frame } from './frame.js';
export { SearchEntryDecoder, type EntryHandler, type RawAttributes } from './entry-decoder.js';
