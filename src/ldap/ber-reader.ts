/**
 * BER decoding (X.690 §8) of the subset LDAP uses (RFC 4511 §5.1). The public primitive for decoding responses and
 * control values; the hot path (search entries) has its own decoder in entry-decoder.ts.
 *
 * Invariants: a reader is a cursor over `buffer[start, end)` and never reads outside it; every failure is an
 * LdapProtocolError (never a RangeError or a partial value); definite lengths only (RFC 4511 §5.1), at most 4 length
 * bytes; nesting is bounded by `MAX_READ_DEPTH` (a child reader knows its depth), so a hostile message cannot
 * recurse without end. Values are views on the buffer (`readOctetString`) unless copied by the caller.
 *
 * Usage:
 * ```ts
 * const reader = new BerReader(controlValue);
 * const sequence = reader.readSequence();
 * const size = sequence.readInteger();
 * const cookie = sequence.readOctetString();
 * ```
 */
import { BER_TAG } from './ber-writer.js';
import { LdapProtocolError } from './failures.js';

export const MAX_READ_DEPTH = 32;

/** One element's tag and content range, as returned by `readElement()`. */
export interface BerElement {
  readonly tag: number;
  /** A view on the content bytes. */
  readonly content: Buffer;
}

export class BerReader {
  private offset: number;

  constructor(
    private readonly buffer: Buffer,
    start = 0,
    private readonly end = buffer.length,
    private readonly depth = 0,
  ) {
    if (depth > MAX_READ_DEPTH) throw new LdapProtocolError(`BER nesting deeper than ${MAX_READ_DEPTH}`);
    this.offset = start;
  }

  /** True when every element has been read. */
  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.atEnd ? undefined : this.buffer[this.offset];
  }

  /** The next element (any tag), moving past it. */
  readElement(): BerElement {
    const tag = this.peekTag();
    if (tag === undefined) throw new LdapProtocolError('expected a BER element, found the end');
    const [start, end] = this.enter(tag);
    this.offset = end;
    return { tag, content: this.buffer.subarray(start, end) };
  }

  /** A constructed element with `tag` (SEQUENCE by default): a reader over its content, one level deeper. */
  readSequence(tag: number = BER_TAG.sequence): BerReader {
    const [start, end] = this.enter(tag);
    this.offset = end;
    return new BerReader(this.buffer, start, end, this.depth + 1);
  }

  readSet(tag: number = BER_TAG.set): BerReader {
    return this.readSequence(tag);
  }

  /** A view on an OCTET STRING's bytes (or any primitive with `tag`). */
  readOctetString(tag: number = BER_TAG.octetString): Buffer {
    const [start, end] = this.enter(tag);
    this.offset = end;
    return this.buffer.subarray(start, end);
  }

  /** An OCTET STRING decoded as UTF-8 (LDAPString, RFC 4511 §4.1.2). */
  readString(tag: number = BER_TAG.octetString): string {
    const [start, end] = this.enter(tag);
    this.offset = end;
    return this.buffer.toString('utf8', start, end);
  }

  /** A two's-complement INTEGER of 1 to 4 bytes (RFC 4511 §4.1.1: LDAP integers are 32-bit). */
  readInteger(tag: number = BER_TAG.integer): number {
    const [start, end] = this.enter(tag);
    if (end - start < 1 || end - start > 4) throw new LdapProtocolError(`integer of ${end - start} bytes`);
    const first = this.buffer[start]!;
    let value = first & 0x80 ? first - 256 : first;
    for (let at = start + 1; at < end; at++) value = value * 256 + this.buffer[at]!;
    this.offset = end;
    return value;
  }

  readEnumerated(tag: number = BER_TAG.enumerated): number {
    return this.readInteger(tag);
  }

  readBoolean(tag: number = BER_TAG.boolean): boolean {
    const [start, end] = this.enter(tag);
    if (end - start !== 1) throw new LdapProtocolError(`boolean of ${end - start} bytes`);
    this.offset = end;
    return this.buffer[start] !== 0;
  }

  readNull(tag: number = BER_TAG.null): void {
    const [start, end] = this.enter(tag);
    if (end !== start) throw new LdapProtocolError('NULL with content');
    this.offset = end;
  }

  /** Fails unless every element was read: trailing bytes mean the message is not what it claims to be. */
  expectEnd(what: string): void {
    if (!this.atEnd) throw new LdapProtocolError(`${what}: unexpected element with tag 0x${this.peekTag()!.toString(16)}`);
  }

  /** Checks the tag at the cursor and returns its content range, bounded by this reader's end. */
  private enter(tag: number): [number, number] {
    const actual = this.buffer[this.offset];
    if (this.offset >= this.end || actual !== tag) {
      throw new LdapProtocolError(`expected tag 0x${tag.toString(16)}, found ${this.offset >= this.end ? 'the end' : `0x${actual!.toString(16)}`}`);
    }
    const at = this.offset + 1;
    if (at >= this.end) throw new LdapProtocolError('element without a length');
    const first = this.buffer[at]!;
    let length = first;
    let start = at + 1;
    if (first >= 0x80) {
      const bytes = first & 0x7f;
      if (bytes === 0 || bytes > 4) throw new LdapProtocolError(`unsupported BER length form 0x${first.toString(16)}`);
      if (at + 1 + bytes > this.end) throw new LdapProtocolError('length runs past the end');
      length = 0;
      for (let i = 1; i <= bytes; i++) length = length * 256 + this.buffer[at + i]!;
      start = at + 1 + bytes;
    }
    if (start + length > this.end) throw new LdapProtocolError('element runs past the end of its container');
    return [start, start + length];
  }
}
