/**
 * Search filters in BER (RFC 4511 §4.5.1). The string form is parsed by src/rfc/filter.ts (RFC 4515, escapes
 * undone there); this writes the parsed tree. Assertion values are sent as the bytes the escapes spelled: UTF-8 for
 * text, the exact bytes for binary values such as an objectGUID (kept through the tree by utf8-escape.ts).
 */
import { parseFilter, type FilterNode } from '../rfc/filter.js';
import { encodeUtf8Escaped } from '../rfc/utf8-escape.js';
import { BerWriter } from './ber-writer.js';

/** Filter CHOICE tags, RFC 4511 §4.5.1: context-specific, constructed except `present`. */
export const FILTER_TAG = {
  and: 0xa0,
  or: 0xa1,
  not: 0xa2,
  equal: 0xa3,
  substring: 0xa4,
  greaterOrEqual: 0xa5,
  lessOrEqual: 0xa6,
  present: 0x87,
  approx: 0xa8,
  extensible: 0xa9,
} as const;

/** SubstringFilter choices and MatchingRuleAssertion fields (context-specific, primitive). */
export const SUBSTRING_TAG = { initial: 0x80, any: 0x81, final: 0x82 } as const;
export const EXTENSIBLE_TAG = { rule: 0x81, type: 0x82, value: 0x83, dnAttributes: 0x84 } as const;

/** Filters nested deeper than this are refused before anything is sent (RFC 4515 sets no limit; servers do). */
export const MAX_FILTER_DEPTH = 64;

export function writeFilter(writer: BerWriter, filter: string | FilterNode): void {
  writeNode(writer, typeof filter === 'string' ? parseFilter(filter) : filter, 0);
}

function writeNode(writer: BerWriter, node: FilterNode, depth: number): void {
  if (depth > MAX_FILTER_DEPTH) throw new RangeError(`search filter nested deeper than ${MAX_FILTER_DEPTH} levels`);
  switch (node.type) {
    case 'and':
    case 'or':
      writer.startSet(FILTER_TAG[node.type]);
      for (const child of node.children) writeNode(writer, child, depth + 1);
      writer.end();
      return;
    case 'not':
      writer.startSequence(FILTER_TAG.not);
      writeNode(writer, node.child, depth + 1);
      writer.end();
      return;
    case 'equal':
    case 'approx':
    case 'greaterOrEqual':
    case 'lessOrEqual':
      // AttributeValueAssertion ::= SEQUENCE { attributeDesc, assertionValue }
      writer.startSequence(FILTER_TAG[node.type]).writeOctetString(node.attribute).writeOctetString(value(node.value)).end();
      return;
    case 'present':
      writer.writeOctetString(node.attribute, FILTER_TAG.present);
      return;
    case 'substring':
      writeSubstrings(writer, node);
      return;
    case 'extensible':
      writer.startSequence(FILTER_TAG.extensible);
      if (node.rule !== undefined) writer.writeOctetString(node.rule, EXTENSIBLE_TAG.rule);
      if (node.attribute !== undefined) writer.writeOctetString(node.attribute, EXTENSIBLE_TAG.type);
      writer.writeOctetString(value(node.value), EXTENSIBLE_TAG.value);
      // dnAttributes is BOOLEAN DEFAULT FALSE: sent only when true.
      if (node.dnAttributes) writer.writeBoolean(true, EXTENSIBLE_TAG.dnAttributes);
      writer.end();
      return;
  }
}

/** An assertion value's bytes (RFC 4511 §4.1.6 AssertionValue ::= OCTET STRING). */
function value(text: string): Buffer {
  return encodeUtf8Escaped(text);
}

/** SubstringFilter ::= SEQUENCE { type, substrings SEQUENCE SIZE (1..MAX) OF CHOICE { initial, any, final } }. */
function writeSubstrings(writer: BerWriter, node: Extract<FilterNode, { type: 'substring' }>): void {
  writer.startSequence(FILTER_TAG.substring).writeOctetString(node.attribute).startSequence();
  if (node.initial !== undefined) writer.writeOctetString(value(node.initial), SUBSTRING_TAG.initial);
  for (const piece of node.any) writer.writeOctetString(value(piece), SUBSTRING_TAG.any);
  if (node.final !== undefined) writer.writeOctetString(value(node.final), SUBSTRING_TAG.final);
  writer.end().end();
}
