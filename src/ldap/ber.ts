/**
 * The receiving half of the LDAP wire format (RFC 4511 §4 in BER, X.690) that a large read spends its time in:
 * cutting the byte stream into LDAPMessages, and decoding SearchResultEntry straight into the object LdapEntry
 * wraps. A sync reads 100,000 entries; going through a general BER reader and one object per attribute and value
 * (as ldapts does) cost about twice the CPU of this. Requests and the other responses, which are few, are encoded
 * and decoded by ldapts.
 */

export class LdapProtocolError extends Error {
  constructor(message: string) {
    super(`LDAP protocol error: ${message}`);
    this.name = 'LdapProtocolError';
  }
}

/** A message longer than this is refused rather than buffered: no directory entry comes near it. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OCTET_STRING = 0x04;
const TAG_INTEGER = 0x02;

// readLength() leaves where the content starts here rather than returning an object: it runs a few million times
// per large read, and the decoder is synchronous, so one slot is enough.
let contentStart = 0;

/** Reads a definite BER length at `at` (and sets contentStart); -1 when the bytes end before the length does. */
function readLength(buffer: Buffer, at: number, end: number): number {
  if (at >= end) return -1;
  const first = buffer[at]!;
  if (first < 0x80) {
    contentStart = at + 1;
    return first;
  }
  const bytes = first & 0x7f;
  // RFC 4511 §5.1: only the definite form; four bytes are enough for any message we accept.
  if (bytes === 0 || bytes > 4) throw new LdapProtocolError(`unsupported BER length form 0x${first.toString(16)}`);
  if (at + 1 + bytes > end) return -1;
  let length = 0;
  for (let i = 1; i <= bytes; i++) length = length * 256 + buffer[at + i]!;
  contentStart = at + 1 + bytes;
  return length;
}

/**
 * One complete LDAPMessage inside `buffer`: its id, the protocolOp tag and where the protocolOp's content lies.
 * FrameReader hands out one Frame object, updated for each message: it is valid during the callback only.
 */
export interface Frame {
  buffer: Buffer;
  /** The whole message, [start, end). */
  start: number;
  end: number;
  messageId: number;
  operation: number;
  contentStart: number;
  contentEnd: number;
}

/** Where the message starting at `at` ends, or -1 when its header is not complete yet. */
function messageEnd(buffer: Buffer, at: number): number {
  if (buffer[at] !== TAG_SEQUENCE) throw new LdapProtocolError(`expected an LDAPMessage, got tag 0x${buffer[at]!.toString(16)}`);
  const length = readLength(buffer, at + 1, buffer.length);
  if (length < 0) return -1;
  if (length > MAX_MESSAGE_BYTES) throw new LdapProtocolError(`message of ${length} bytes is larger than the accepted maximum`);
  return contentStart + length;
}

function parseFrame(frame: Frame, buffer: Buffer, start: number, end: number): void {
  readLength(buffer, start + 1, end);
  const at = contentStart;
  if (buffer[at] !== TAG_INTEGER) throw new LdapProtocolError('message without a messageID');
  const idLength = readLength(buffer, at + 1, end);
  const idStart = contentStart;
  if (idLength < 1 || idLength > 4 || idStart + idLength > end) throw new LdapProtocolError('malformed messageID');
  let messageId = 0;
  for (let i = 0; i < idLength; i++) messageId = messageId * 256 + buffer[idStart + i]!;
  const operationAt = idStart + idLength;
  const operation = buffer[operationAt];
  const contentLength = operation === undefined ? -1 : readLength(buffer, operationAt + 1, end);
  if (operation === undefined || contentLength < 0 || contentStart + contentLength > end) throw new LdapProtocolError(`malformed protocolOp in message ${messageId}`);
  frame.buffer = buffer;
  frame.start = start;
  frame.end = end;
  frame.messageId = messageId;
  frame.operation = operation;
  frame.contentStart = contentStart;
  frame.contentEnd = contentStart + contentLength;
}

/**
 * Cuts a byte stream into LDAPMessages. Chunks are only copied when a message spans several of them, and then
 * once, when the last of its bytes arrives.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needed = 0;
  private readonly frame: Frame = { buffer: Buffer.alloc(0), start: 0, end: 0, messageId: 0, operation: 0, contentStart: 0, contentEnd: 0 };

  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    let buffer = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      buffer = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let at = 0;
    while (at < buffer.length) {
      const end = messageEnd(buffer, at);
      if (end < 0 || end > buffer.length) {
        const rest = buffer.subarray(at);
        this.pending = [rest];
        this.pendingBytes = rest.length;
        this.needed = end < 0 ? rest.length + 1 : end - at;
        return;
      }
      parseFrame(this.frame, buffer, at, end);
      onFrame(this.frame);
      at = end;
    }
  }
}

export type RawAttributes = Record<string, string | Buffer | Array<string | Buffer>>;

/**
 * Attribute types seen so far, with their lower-cased names. Every entry of a search names the same few attributes
 * in the same order: reading the name from the bytes each time cost a string, its internalization as a property key
 * and a lower-casing, for each attribute of each of 100,000 entries. Bounded: a server naming more than this many
 * types just decodes the rest each time.
 */
const KNOWN_TYPES = 64;
const knownTypeBytes: Buffer[] = [];
const knownTypes: string[] = [];
const knownLowerTypes: string[] = [];
let nextKnownType = 0;

function sameBytes(known: Buffer, buffer: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let index = 0; index < known.length; index++) if (known[index] !== buffer[start + index]) return false;
  return true;
}

/** The position of the attribute type in `buffer[start, end)` among the known types, learning it if new. */
function attributeType(buffer: Buffer, start: number, end: number): number {
  // The type after the last one found comes first: entries list their attributes in one order.
  if (nextKnownType < knownTypes.length && sameBytes(knownTypeBytes[nextKnownType]!, buffer, start, end)) return nextKnownType++;
  for (let index = 0; index < knownTypes.length; index++) {
    if (sameBytes(knownTypeBytes[index]!, buffer, start, end)) {
      nextKnownType = index + 1;
      return index;
    }
  }
  const type = buffer.toString('latin1', start, end);
  // Not an attribute description (RFC 4512 §2.5), and as a property name it would replace the prototype.
  if (type === '__proto__') throw new LdapProtocolError('attribute type __proto__');
  if (knownTypes.length === KNOWN_TYPES) {
    unknownType = type;
    return -1;
  }
  knownTypeBytes.push(Buffer.from(buffer.subarray(start, end)));
  knownTypes.push(type);
  knownLowerTypes.push(type.toLowerCase());
  nextKnownType = knownTypes.length;
  return knownTypes.length - 1;
}

/** The type attributeType() decoded but could not keep (it returned -1). */
let unknownType = '';

/** The read position of decodeSearchEntry(), module-level like contentStart: no object per entry decoded. */
let position = 0;

/** Reads a tagged element's content range at `position` and moves `position` past its header. */
function enter(buffer: Buffer, end: number, tag: number, what: string): number {
  if (buffer[position] !== tag) throw new LdapProtocolError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${(buffer[position] ?? 0).toString(16)}`);
  const length = readLength(buffer, position + 1, end);
  if (length < 0 || contentStart + length > end) throw new LdapProtocolError(`${what} runs past the end of its message`);
  position = contentStart;
  return contentStart + length;
}

/**
 * Decodes a SearchResultEntry's content and hands `onEntry` the DN and the attributes in ldapts' shape (one value as itself, several
 * as an array, none as []), so LdapEntry reads both alike. Values are UTF-8 strings, except for the attributes in
 * `binary` (lower-cased names), which are copied into Buffers of their own: a view would keep the whole network
 * chunk alive.
 */
export function decodeSearchEntry(frame: Frame, binary: ReadonlySet<string>, onEntry: (dn: string, attributes: RawAttributes) => void): void {
  const { buffer, contentEnd: end } = frame;
  position = frame.contentStart;
  const dnEnd = enter(buffer, end, TAG_OCTET_STRING, 'entry name');
  const dn = buffer.toString('utf8', position, dnEnd);
  position = dnEnd;
  const attributesEnd = enter(buffer, end, TAG_SEQUENCE, 'attribute list');
  const attributes: RawAttributes = {};
  while (position < attributesEnd) {
    const attributeEnd = enter(buffer, attributesEnd, TAG_SEQUENCE, 'attribute');
    const typeEnd = enter(buffer, attributeEnd, TAG_OCTET_STRING, 'attribute type');
    const known = attributeType(buffer, position, typeEnd);
    const type = known >= 0 ? knownTypes[known]! : unknownType;
    position = typeEnd;
    const valuesEnd = enter(buffer, attributeEnd, TAG_SET, 'attribute value set');
    const asBuffer = binary.size > 0 && binary.has(known >= 0 ? knownLowerTypes[known]! : type.toLowerCase());
    let first: string | Buffer | undefined;
    let several: Array<string | Buffer> | undefined;
    while (position < valuesEnd) {
      const valueEnd = enter(buffer, valuesEnd, TAG_OCTET_STRING, 'attribute value');
      const value = asBuffer ? Buffer.from(buffer.subarray(position, valueEnd)) : buffer.toString('utf8', position, valueEnd);
      position = valueEnd;
      if (first === undefined) first = value;
      else if (several === undefined) several = [first, value];
      else several.push(value);
    }
    position = attributeEnd;
    attributes[type] = several ?? first ?? [];
  }
  onEntry(dn, attributes);
}
