/**
 * Cutting the byte stream of a connection into LDAPMessages (RFC 4511 §4.1.1, BER per §5.1).
 *
 * Invariants (what makes this safe to feed any bytes):
 * - A frame is handed out only when all of its bytes have arrived: nothing downstream ever sees a truncated message.
 * - A message announcing more than `maxMessageBytes` is refused from its header, before it is buffered: memory per
 *   connection is bounded by that maximum plus one network chunk.
 * - Definite lengths only, at most 4 length bytes (RFC 4511 §5.1 forbids the indefinite form).
 * - Every malformed header is an LdapProtocolError; the connection that gets one ends (errors.ts maps it).
 * - State lives in the FrameReader instance (one per connection); chunks are copied only when a message spans
 *   several of them, and then once, when its last byte arrives.
 */
import { LdapProtocolError } from './failures.js';

/** The default bound on one message: no directory entry comes near it (a 1,500-member range is ~100 KB). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;

/**
 * One complete LDAPMessage inside `buffer`: its id, the protocolOp tag and where the protocolOp's content lies;
 * the message's controls, if any, are in [contentEnd, end). FrameReader hands out one Frame object, updated for
 * each message: it is valid during the callback only.
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

export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needed = 0;
  private readonly frame: Frame = { buffer: Buffer.alloc(0), start: 0, end: 0, messageId: 0, operation: 0, contentStart: 0, contentEnd: 0 };
  /** Where the content of the element whose length readLength() read starts: a field, not an object per call. */
  private contentStart = 0;

  constructor(private readonly maxMessageBytes = MAX_MESSAGE_BYTES) {}

  /** Bytes held for a message not complete yet; a stream that ends with some left was cut mid-message. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

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
      const end = this.messageEnd(buffer, at);
      if (end < 0 || end > buffer.length) {
        const rest = buffer.subarray(at);
        this.pending = [rest];
        this.pendingBytes = rest.length;
        this.needed = end < 0 ? rest.length + 1 : end - at;
        return;
      }
      this.parseFrame(buffer, at, end);
      onFrame(this.frame);
      at = end;
    }
  }

  /** A definite length at `at`, or -1 when the bytes end first; sets contentStart. */
  private readLength(buffer: Buffer, at: number, end: number): number {
    if (at >= end) return -1;
    const first = buffer[at]!;
    if (first < 0x80) {
      this.contentStart = at + 1;
      return first;
    }
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4) throw new LdapProtocolError(`unsupported BER length form 0x${first.toString(16)}`);
    if (at + 1 + bytes > end) return -1;
    let length = 0;
    for (let i = 1; i <= bytes; i++) length = length * 256 + buffer[at + i]!;
    this.contentStart = at + 1 + bytes;
    return length;
  }

  /** Where the message starting at `at` ends, or -1 when its header is not complete yet. */
  private messageEnd(buffer: Buffer, at: number): number {
    if (buffer[at] !== TAG_SEQUENCE) throw new LdapProtocolError(`expected an LDAPMessage, got tag 0x${buffer[at]!.toString(16)}`);
    const length = this.readLength(buffer, at + 1, buffer.length);
    if (length < 0) return -1;
    if (length > this.maxMessageBytes) throw new LdapProtocolError(`message of ${length} bytes is larger than the accepted maximum of ${this.maxMessageBytes}`);
    return this.contentStart + length;
  }

  private parseFrame(buffer: Buffer, start: number, end: number): void {
    this.readLength(buffer, start + 1, end);
    const idAt = this.contentStart;
    if (idAt >= end || buffer[idAt] !== TAG_INTEGER) throw new LdapProtocolError('message without a messageID');
    const idLength = this.readLength(buffer, idAt + 1, end);
    const idStart = this.contentStart;
    // MessageID ::= INTEGER (0..maxInt): at most 4 bytes, never negative.
    if (idLength < 1 || idLength > 4 || idStart + idLength > end || buffer[idStart]! & 0x80) throw new LdapProtocolError('malformed messageID');
    let messageId = 0;
    for (let i = 0; i < idLength; i++) messageId = messageId * 256 + buffer[idStart + i]!;
    const operationAt = idStart + idLength;
    const operation = operationAt < end ? buffer[operationAt] : undefined;
    const contentLength = operation === undefined ? -1 : this.readLength(buffer, operationAt + 1, end);
    const contentStart = this.contentStart;
    if (operation === undefined || contentLength < 0 || contentStart + contentLength > end) throw new LdapProtocolError(`malformed protocolOp in message ${messageId}`);
    const frame = this.frame;
    frame.buffer = buffer;
    frame.start = start;
    frame.end = end;
    frame.messageId = messageId;
    frame.operation = operation;
    frame.contentStart = contentStart;
    frame.contentEnd = contentStart + contentLength;
  }
}
