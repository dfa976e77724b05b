/**
 * SearchResultEntry (RFC 4511 §4.5.2) decoded straight from the frame into the object LdapEntry wraps. A sync reads
 * 100,000 entries; a general BER reader with one object per attribute and value cost about twice the CPU of this.
 *
 * Invariants:
 * - State (read position, the known attribute types) lives in the decoder instance, one per connection: decoding
 *   is re-entrant across connections, and synchronous within one (a frame is decoded to the end before the next).
 * - Reads never leave the frame's protocolOp content; an element running past its container, a wrong tag or
 *   trailing bytes is an LdapProtocolError, and no partial entry is handed over (onEntry runs after the last value).
 * - The known-types cache is bounded (KNOWN_TYPES); beyond it, types are decoded each time.
 * - Attribute values are UTF-8 strings, or for `binary` attributes Buffers copied out of the chunk (a view would
 *   keep the whole network chunk alive).
 * - Entry controls (RFC 4533 sync state) are decoded only when the message carries some: no cost otherwise.
 */
import { BerReader } from './ber-reader.js';
import { readControls } from './controls.js';
import { LdapProtocolError, type Control } from './failures.js';
import type { Frame } from './frame.js';

export type RawAttributes = Record<string, string | Buffer | Array<string | Buffer>>;

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OCTET_STRING = 0x04;

/**
 * Every entry of a search names the same few attributes in the same order: reading the name from the bytes each time
 * cost a string, its internalization as a property key and a lower-casing, for each attribute of each entry.
 */
const KNOWN_TYPES = 64;

const NO_CONTROLS: readonly Control[] = Object.freeze([]);

function sameBytes(known: Buffer, buffer: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let index = 0; index < known.length; index++) if (known[index] !== buffer[start + index]) return false;
  return true;
}

export type EntryHandler = (dn: string, attributes: RawAttributes, controls: readonly Control[]) => void;

export class SearchEntryDecoder {
  private readonly knownTypeBytes: Buffer[] = [];
  private readonly knownTypes: string[] = [];
  private readonly knownLowerTypes: string[] = [];
  private nextKnownType = 0;
  /** The type attributeType() decoded but could not keep (it returned -1). */
  private unknownType = '';
  /** Read position and the content start set by enter(): fields, not objects, so no allocation per element. */
  private position = 0;

  /**
   * Decodes the entry in `frame` and hands `onEntry` the DN, the attributes (one value as itself, several as an
   * array, none as []) and the entry's controls (a shared empty list when it has none).
   */
  decode(frame: Frame, binary: ReadonlySet<string>, onEntry: EntryHandler): void {
    const { buffer, contentEnd: end } = frame;
    this.position = frame.contentStart;
    const dnEnd = this.enter(buffer, end, TAG_OCTET_STRING, 'entry name');
    const dn = buffer.toString('utf8', this.position, dnEnd);
    this.position = dnEnd;
    const attributesEnd = this.enter(buffer, end, TAG_SEQUENCE, 'attribute list');
    if (attributesEnd !== end) throw new LdapProtocolError('search entry with trailing bytes');
    const attributes: RawAttributes = {};
    // The attribute loop stays inline: as a method of its own it cost ~7 % more CPU per entry (measured on 100,000
    // entries, CPU time, alternating with the code before #11).
    while (this.position < attributesEnd) {
      const attributeEnd = this.enter(buffer, attributesEnd, TAG_SEQUENCE, 'attribute');
      const typeEnd = this.enter(buffer, attributeEnd, TAG_OCTET_STRING, 'attribute type');
      const known = this.attributeType(buffer, this.position, typeEnd);
      const type = known >= 0 ? this.knownTypes[known]! : this.unknownType;
      this.position = typeEnd;
      const valuesEnd = this.enter(buffer, attributeEnd, TAG_SET, 'attribute value set');
      if (valuesEnd !== attributeEnd) throw new LdapProtocolError(`attribute ${type} with trailing bytes`);
      const asBuffer = binary.size > 0 && binary.has(known >= 0 ? this.knownLowerTypes[known]! : type.toLowerCase());
      let first: string | Buffer | undefined;
      let several: Array<string | Buffer> | undefined;
      while (this.position < valuesEnd) {
        const valueEnd = this.enter(buffer, valuesEnd, TAG_OCTET_STRING, 'attribute value');
        const value = asBuffer ? Buffer.from(buffer.subarray(this.position, valueEnd)) : buffer.toString('utf8', this.position, valueEnd);
        this.position = valueEnd;
        if (first === undefined) first = value;
        else if (several === undefined) several = [first, value];
        else several.push(value);
      }
      attributes[type] = several ?? first ?? [];
    }
    const controls = frame.contentEnd < frame.end ? readControls(new BerReader(buffer, frame.contentEnd, frame.end, 1)) : NO_CONTROLS;
    onEntry(dn, attributes, controls);
  }

  /** The position of the attribute type in `buffer[start, end)` among the known types, learning it if new. */
  private attributeType(buffer: Buffer, start: number, end: number): number {
    const { knownTypes, knownTypeBytes } = this;
    // The type after the last one found comes first: entries list their attributes in one order.
    if (this.nextKnownType < knownTypes.length && sameBytes(knownTypeBytes[this.nextKnownType]!, buffer, start, end)) return this.nextKnownType++;
    for (let index = 0; index < knownTypes.length; index++) {
      if (sameBytes(knownTypeBytes[index]!, buffer, start, end)) {
        this.nextKnownType = index + 1;
        return index;
      }
    }
    const type = buffer.toString('latin1', start, end);
    // Not an attribute description (RFC 4512 §2.5), and as a property name it would replace the prototype.
    if (type === '__proto__') throw new LdapProtocolError('attribute type __proto__');
    if (knownTypes.length === KNOWN_TYPES) {
      this.unknownType = type;
      return -1;
    }
    knownTypeBytes.push(Buffer.from(buffer.subarray(start, end)));
    knownTypes.push(type);
    this.knownLowerTypes.push(type.toLowerCase());
    this.nextKnownType = knownTypes.length;
    return knownTypes.length - 1;
  }

  /** Checks the tag at the position, moves past the header and returns where the element's content ends. */
  private enter(buffer: Buffer, end: number, tag: number, what: string): number {
    const at = this.position;
    if (at >= end || buffer[at] !== tag) throw new LdapProtocolError(`${what}: expected tag 0x${tag.toString(16)}, got ${at >= end ? 'the end' : `0x${buffer[at]!.toString(16)}`}`);
    let length = at + 1 < end ? buffer[at + 1]! : -1;
    let contentStart = at + 2;
    if (length >= 0x80) {
      const bytes = length & 0x7f;
      if (bytes === 0 || bytes > 4) throw new LdapProtocolError(`unsupported BER length form 0x${length.toString(16)}`);
      if (at + 2 + bytes > end) throw new LdapProtocolError(`${what} runs past the end of its message`);
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + buffer[at + 2 + i]!;
      contentStart = at + 2 + bytes;
    }
    if (length < 0 || contentStart + length > end) throw new LdapProtocolError(`${what} runs past the end of its message`);
    this.position = contentStart;
    return contentStart + length;
  }
}
