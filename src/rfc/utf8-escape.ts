/**
 * Byte strings in JavaScript strings without loss ("surrogateescape", as Python's PEP 383): valid UTF-8 decodes as
 * usual; each byte that is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte, which no
 * decoded text ever contains. Encoding reverses it. Filter values use this: RFC 4515 `\XX` escapes may spell any
 * bytes (an objectGUID), and the filter must send exactly those bytes (RFC 4511 §4.5.1: OCTET STRING values).
 */

const ESCAPE_BASE = 0xdc00;

/** Length of the valid UTF-8 sequence at `at` (RFC 3629 §4: no overlongs, no surrogates, at most U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  if (lead < 0x80) return 1;
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length === 0 || at + length > bytes.length) return 0;
  for (let index = 1; index < length; index++) if ((bytes[at + index]! & 0xc0) !== 0x80) return 0;
  const second = bytes[at + 1]!;
  if (lead === 0xe0 && second < 0xa0) return 0; // overlong
  if (lead === 0xed && second >= 0xa0) return 0; // UTF-16 surrogates
  if (lead === 0xf0 && second < 0x90) return 0; // overlong
  if (lead === 0xf4 && second >= 0x90) return 0; // above U+10FFFF
  return length;
}

export function decodeUtf8Escaped(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  const decoder = new TextDecoder();
  for (let at = 0; at < bytes.length;) {
    const length = sequenceLength(bytes, at);
    if (length > 0) {
      at += length;
      continue;
    }
    out += decoder.decode(bytes.subarray(start, at)) + String.fromCharCode(ESCAPE_BASE + bytes[at]!);
    at += 1;
    start = at;
  }
  return out + decoder.decode(bytes.subarray(start));
}

/** True for the code units decodeUtf8Escaped uses for undecodable bytes (only bytes 0x80 to 0xFF can be invalid). */
export function isEscapedByte(codeUnit: number): boolean {
  return codeUnit >= ESCAPE_BASE + 0x80 && codeUnit <= ESCAPE_BASE + 0xff;
}

/** The bytes of a string from decodeUtf8Escaped (or any string: without escaped bytes it is plain UTF-8). */
export function encodeUtf8Escaped(text: string): Buffer {
  let escaped = false;
  for (let index = 0; index < text.length && !escaped; index++) escaped = isEscapedByte(text.charCodeAt(index)) && !isPaired(text, index);
  if (!escaped) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (!isEscapedByte(text.charCodeAt(index)) || isPaired(text, index)) continue;
    parts.push(Buffer.from(text.slice(start, index), 'utf8'), Buffer.from([text.charCodeAt(index) - ESCAPE_BASE]));
    start = index + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** A low surrogate preceded by a high one is half of a real character, not an escaped byte. */
function isPaired(text: string, index: number): boolean {
  const previous = index > 0 ? text.charCodeAt(index - 1) : 0;
  return previous >= 0xd800 && previous <= 0xdbff;
}
