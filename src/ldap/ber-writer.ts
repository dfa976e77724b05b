/**
 * BER encoding (X.690 §8) of the subset LDAP uses (RFC 4511 §5.1): definite lengths only, primitive
 * OCTET STRING / INTEGER / ENUMERATED / BOOLEAN / NULL, and constructed SEQUENCE / SET / context or application tags.
 * This is the public primitive for request encoding and for control values (`Control.value`): other modules
 * (RFC 4533 sync, DirSync) build their values with it.
 *
 * Invariants: a writer belongs to one message (no shared state between writers); constructed elements are closed
 * in the order they were opened (`end()` checks this); lengths use the shortest form (DER-compatible, which AD
 * requires of some control values); at most 4 length bytes, so no element exceeds 2^32 - 1 bytes.
 *
 * Usage:
 * ```ts
 * const writer = new BerWriter();
 * writer.startSequence();
 * writer.writeInteger(500);
 * writer.writeOctetString(cookie);
 * writer.end();
 * const value = writer.toBuffer();
 * ```
 */

export const BER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  enumerated: 0x0a,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Nesting depth a writer accepts; a deeper request is a programming error or a hostile filter. */
export const MAX_WRITE_DEPTH = 128;

export class BerWriter {
  private buffer: Buffer;
  private length = 0;
  /** Positions where the content of each open constructed element starts (its header is written on `end()`). */
  private readonly open: Array<{ tag: number; start: number }> = [];

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Opens a constructed element (SEQUENCE by default); close it with `end()`. */
  startSequence(tag: number = BER_TAG.sequence): this {
    if (this.open.length >= MAX_WRITE_DEPTH) throw new RangeError(`BER nesting deeper than ${MAX_WRITE_DEPTH}`);
    this.open.push({ tag, start: this.length });
    return this;
  }

  startSet(tag: number = BER_TAG.set): this {
    return this.startSequence(tag);
  }

  /** Closes the innermost open element: writes its tag and length in front of its content. */
  end(): this {
    const element = this.open.pop();
    if (!element) throw new RangeError('BerWriter.end() without an open element');
    const contentLength = this.length - element.start;
    const header = encodeHeader(element.tag, contentLength);
    this.reserve(header.length);
    this.buffer.copyWithin(element.start + header.length, element.start, this.length);
    header.copy(this.buffer, element.start);
    this.length += header.length;
    return this;
  }

  writeOctetString(value: string | Uint8Array, tag: number = BER_TAG.octetString): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.writeHeader(tag, bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** A two's-complement INTEGER in the fewest bytes (X.690 §8.3); LDAP integers fit in 32 bits (RFC 4511 §4.1.1). */
  writeInteger(value: number, tag: number = BER_TAG.integer): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new RangeError(`BER integer out of range: ${value}`);
    const bytes: number[] = [];
    let rest = value;
    do {
      bytes.unshift(rest & 0xff);
      rest = Math.floor(rest / 256);
    } while (rest !== 0 && rest !== -1);
    // The sign bit of the first byte must say the sign of the value.
    if (value >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
    if (value < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
    return this.writeBytes(tag, bytes);
  }

  writeEnumerated(value: number, tag: number = BER_TAG.enumerated): this {
    return this.writeInteger(value, tag);
  }

  /** X.690 §11.1 (DER): TRUE is 0xFF. */
  writeBoolean(value: boolean, tag: number = BER_TAG.boolean): this {
    return this.writeBytes(tag, [value ? 0xff : 0x00]);
  }

  writeNull(tag: number = BER_TAG.null): this {
    return this.writeBytes(tag, []);
  }

  /** Bytes that already are complete BER elements (an encoded control value, a nested message). */
  writeRaw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** The encoding; every opened element must have been closed. */
  toBuffer(): Buffer {
    if (this.open.length > 0) throw new RangeError(`BerWriter: ${this.open.length} element(s) left open`);
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private writeBytes(tag: number, bytes: readonly number[]): this {
    this.writeHeader(tag, bytes.length);
    this.reserve(bytes.length);
    for (const byte of bytes) this.buffer[this.length++] = byte;
    return this;
  }

  private writeHeader(tag: number, contentLength: number): void {
    const header = encodeHeader(tag, contentLength);
    this.reserve(header.length);
    header.copy(this.buffer, this.length);
    this.length += header.length;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Tag and definite length (X.690 §8.1.3): short form below 128, else the fewest length bytes. */
function encodeHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if (bytes.length > 4) throw new RangeError(`BER element of ${length} bytes is too long`);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}
