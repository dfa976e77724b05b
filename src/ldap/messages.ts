/**
 * LDAPv3 messages (RFC 4511 §4): the requests Roster sends, encoded whole, and the responses other than search
 * entries, decoded from a Frame. Search entries, nearly all the bytes of a read, go through entry-decoder.ts.
 *
 * Every decoder checks that a message holds exactly what its type says (no trailing elements): a response that
 * does not is an LdapProtocolError, which ends the connection.
 */
import type { FilterNode } from '../rfc/filter.js';
import { BerReader } from './ber-reader.js';
import { BerWriter } from './ber-writer.js';
import { readControls, writeControls } from './controls.js';
import { LdapProtocolError, type Control, type LdapResult } from './failures.js';
import { writeFilter } from './filter-ber.js';
import type { Frame } from './frame.js';

/** protocolOp tags (RFC 4511 §4.2 to §4.14, APPLICATION n). */
export const OPERATION = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchEntry: 0x64,
  searchDone: 0x65,
  searchReference: 0x73,
  abandonRequest: 0x50,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
  intermediateResponse: 0x79,
} as const;

export const EXTENDED_OID = {
  startTls: '1.3.6.1.4.1.1466.20037',
  whoAmI: '1.3.6.1.4.1.4203.1.11.3',
  noticeOfDisconnection: '1.3.6.1.4.1.1466.20036',
} as const;

const SIMPLE_AUTHENTICATION = 0x80;
const EXTENDED_REQUEST_TAG = { name: 0x80, value: 0x81 } as const;
const EXTENDED_RESPONSE_TAG = { name: 0x8a, value: 0x8b } as const;
const INTERMEDIATE_TAG = { name: 0x80, value: 0x81 } as const;
const REFERRAL_TAG = 0xa3;
const SERVER_SASL_CREDS_TAG = 0x87;

export const SCOPE = { base: 0, one: 1, sub: 2 } as const;
export const DEREF_ALIASES = { never: 0, searching: 1, finding: 2, always: 3 } as const;

export interface SearchParameters {
  readonly base: string;
  readonly scope: keyof typeof SCOPE;
  readonly derefAliases?: keyof typeof DEREF_ALIASES;
  readonly sizeLimit?: number;
  /** Seconds; 0 = no limit requested. */
  readonly timeLimit?: number;
  readonly typesOnly?: boolean;
  readonly filter: string | FilterNode;
  readonly attributes: readonly string[];
}

/** LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL }, with `writeOp` filling protocolOp. */
function message(messageId: number, controls: readonly Control[] | undefined, writeOp: (writer: BerWriter) => void): Buffer {
  const writer = new BerWriter();
  writer.startSequence().writeInteger(messageId);
  writeOp(writer);
  writeControls(writer, controls);
  return writer.end().toBuffer();
}

/** BindRequest with simple authentication (RFC 4511 §4.2); version 3. */
export function encodeBindRequest(messageId: number, dn: string, password: string | Buffer, controls?: readonly Control[]): Buffer {
  return message(messageId, controls, (writer) => {
    writer.startSequence(OPERATION.bindRequest).writeInteger(3).writeOctetString(dn).writeOctetString(password, SIMPLE_AUTHENTICATION).end();
  });
}

/** SearchRequest (RFC 4511 §4.5.1). */
export function encodeSearchRequest(messageId: number, search: SearchParameters, controls?: readonly Control[]): Buffer {
  return message(messageId, controls, (writer) => {
    writer
      .startSequence(OPERATION.searchRequest)
      .writeOctetString(search.base)
      .writeEnumerated(SCOPE[search.scope])
      .writeEnumerated(DEREF_ALIASES[search.derefAliases ?? 'never'])
      .writeInteger(search.sizeLimit ?? 0)
      .writeInteger(search.timeLimit ?? 0)
      .writeBoolean(search.typesOnly ?? false);
    writeFilter(writer, search.filter);
    writer.startSequence();
    for (const attribute of search.attributes) writer.writeOctetString(attribute);
    writer.end().end();
  });
}

/** ExtendedRequest (RFC 4511 §4.12). */
export function encodeExtendedRequest(messageId: number, oid: string, value?: Buffer, controls?: readonly Control[]): Buffer {
  return message(messageId, controls, (writer) => {
    writer.startSequence(OPERATION.extendedRequest).writeOctetString(oid, EXTENDED_REQUEST_TAG.name);
    if (value !== undefined) writer.writeOctetString(value, EXTENDED_REQUEST_TAG.value);
    writer.end();
  });
}

/** UnbindRequest ::= [APPLICATION 2] NULL (RFC 4511 §4.3). */
export function encodeUnbindRequest(messageId: number): Buffer {
  return message(messageId, undefined, (writer) => writer.writeNull(OPERATION.unbindRequest));
}

/** AbandonRequest ::= [APPLICATION 16] MessageID (RFC 4511 §4.11). */
export function encodeAbandonRequest(messageId: number, abandonId: number): Buffer {
  return message(messageId, undefined, (writer) => writer.writeInteger(abandonId, OPERATION.abandonRequest));
}

/** The responses this module decodes; `controls` are the message's response controls. */
export type LdapResponse =
  | { readonly kind: 'bind'; readonly result: LdapResult; readonly serverSaslCreds?: Buffer; readonly controls: readonly Control[] }
  | { readonly kind: 'searchDone'; readonly result: LdapResult; readonly controls: readonly Control[] }
  | { readonly kind: 'extended'; readonly result: LdapResult; readonly name?: string; readonly value?: Buffer; readonly controls: readonly Control[] }
  | { readonly kind: 'intermediate'; readonly name?: string; readonly value?: Buffer; readonly controls: readonly Control[] }
  | { readonly kind: 'searchReference'; readonly uris: readonly string[]; readonly controls: readonly Control[] };

/** Components of LDAPResult (RFC 4511 §4.1.9), read from the start of a response's content. */
function readResult(reader: BerReader): LdapResult {
  const resultCode = reader.readEnumerated();
  const matchedDN = reader.readString();
  const diagnosticMessage = reader.readString();
  const referrals: string[] = [];
  if (reader.peekTag() === REFERRAL_TAG) {
    const list = reader.readSequence(REFERRAL_TAG);
    while (!list.atEnd) referrals.push(list.readString());
  }
  return { resultCode, matchedDN, diagnosticMessage, referrals };
}

function optionalString(reader: BerReader, tag: number): string | undefined {
  return reader.peekTag() === tag ? reader.readString(tag) : undefined;
}

function optionalBytes(reader: BerReader, tag: number): Buffer | undefined {
  return reader.peekTag() === tag ? Buffer.from(reader.readOctetString(tag)) : undefined;
}

/** A response without its controls (distributed over the union, so each kind keeps its own fields). */
type Decoded = LdapResponse extends infer R ? (R extends LdapResponse ? Omit<R, 'controls'> : never) : never;

/** protocolOp decoders by tag: each reads the operation's content and leaves nothing unread. */
const RESPONSE_DECODERS: Readonly<Record<number, (op: BerReader, what: string) => Decoded>> = {
  [OPERATION.bindResponse]: (op) => {
    const result = readResult(op);
    const serverSaslCreds = optionalBytes(op, SERVER_SASL_CREDS_TAG);
    return serverSaslCreds ? { kind: 'bind', result, serverSaslCreds } : { kind: 'bind', result };
  },
  [OPERATION.searchDone]: (op) => ({ kind: 'searchDone', result: readResult(op) }),
  [OPERATION.extendedResponse]: (op) => {
    const result = readResult(op);
    const name = optionalString(op, EXTENDED_RESPONSE_TAG.name);
    const value = optionalBytes(op, EXTENDED_RESPONSE_TAG.value);
    return { kind: 'extended', result, ...(name !== undefined ? { name } : {}), ...(value ? { value } : {}) };
  },
  [OPERATION.intermediateResponse]: (op) => {
    const name = optionalString(op, INTERMEDIATE_TAG.name);
    const value = optionalBytes(op, INTERMEDIATE_TAG.value);
    return { kind: 'intermediate', ...(name !== undefined ? { name } : {}), ...(value ? { value } : {}) };
  },
  // SearchResultReference ::= [APPLICATION 19] SEQUENCE SIZE (1..MAX) OF uri URI
  [OPERATION.searchReference]: (op, what) => {
    const uris: string[] = [];
    while (!op.atEnd) uris.push(op.readString());
    if (uris.length === 0) throw new LdapProtocolError(`${what}: a search reference without a URI`);
    return { kind: 'searchReference', uris };
  },
};

/** Decodes any response but a search entry; the frame is valid only during the call, so bytes kept are copied. */
export function decodeResponse(frame: Frame): LdapResponse {
  const what = `response 0x${frame.operation.toString(16)} to message ${frame.messageId}`;
  const decoder = RESPONSE_DECODERS[frame.operation];
  if (!decoder) throw new LdapProtocolError(`${what}: unexpected operation`);
  const op = new BerReader(frame.buffer, frame.contentStart, frame.contentEnd, 1);
  const decoded = decoder(op, what);
  op.expectEnd(what);
  const controls = readControls(new BerReader(frame.buffer, frame.contentEnd, frame.end, 1));
  return { ...decoded, controls } as LdapResponse;
}
