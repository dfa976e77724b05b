/**
 * Pretty-printed JSON written in pieces: a report of 100,000 created users is a 30 MB document, which
 * JSON.stringify would first build as one string. Output matches JSON.stringify(value, null, 2).
 */
import type { Writable } from 'node:stream';

const FLUSH_AT = 1 << 16;

function* pieces(value: unknown, indent: string): Generator<string> {
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    const inner = indent + '  ';
    yield '[\n';
    // Elements are small: one JSON.stringify each, re-indented, is far cheaper than recursing into them.
    for (let i = 0; i < value.length; i++) {
      const text = JSON.stringify(value[i] === undefined ? null : value[i], null, 2) ?? 'null';
      yield inner + (text.includes('\n') ? text.replaceAll('\n', '\n' + inner) : text) + (i < value.length - 1 ? ',\n' : '\n');
    }
    return yield indent + ']';
  }
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== 'function');
    if (entries.length === 0) return yield '{}';
    const inner = indent + '  ';
    yield '{\n';
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i]!;
      yield `${inner}${JSON.stringify(key)}: `;
      yield* pieces(item, inner);
      yield i < entries.length - 1 ? ',\n' : '\n';
    }
    return yield indent + '}';
  }
  yield JSON.stringify(value, null, 2)
    .split('\n')
    .join('\n' + indent);
}

export async function writeJson(value: unknown, out: Writable): Promise<void> {
  let buffer = '';
  for (const piece of pieces(value, '')) {
    buffer += piece;
    if (buffer.length >= FLUSH_AT) {
      if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
      buffer = '';
    }
  }
  out.write(buffer + '\n');
}
