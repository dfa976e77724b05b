/**
 * RFC 4515 search filters: parse into a tree (to validate settings before any connection and to evaluate
 * member templates in memory) and serialize back with every value escaped.
 * Whitespace between components is tolerated, since administrators paste filters such as
 * `(&(objectClass=posixAccount) (mail=*))` from manuals; the canonical form sent to the server has none.
 */
import { decodeUtf8Escaped, encodeUtf8Escaped, isEscapedByte } from './utf8-escape.js';

export type FilterNode =
  | { type: 'and' | 'or'; children: FilterNode[] }
  | { type: 'not'; child: FilterNode }
  | { type: 'equal' | 'approx' | 'greaterOrEqual' | 'lessOrEqual'; attribute: string; value: string }
  | { type: 'present'; attribute: string }
  | { type: 'substring'; attribute: string; initial?: string; any: string[]; final?: string }
  | { type: 'extensible'; attribute?: string; dnAttributes: boolean; rule?: string; value: string };

export class FilterSyntaxError extends Error {}

const ATTRIBUTE_DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;
const MATCHING_RULE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

/**
 * RFC 4515 §3: escape `*`, `(`, `)`, `\` and NUL as \XX; everything else (UTF-8 included) may stay. Bytes that are
 * not UTF-8 (kept as escaped bytes by the parser, see utf8-escape.ts) are written back as the \XX they came from.
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const char of value) {
    if (char === '*' || char === '(' || char === ')' || char === '\\' || char === '\u0000') {
      out += '\\' + char.charCodeAt(0).toString(16).padStart(2, '0');
    } else if (char.length === 1 && isEscapedByte(char.charCodeAt(0))) {
      out += '\\' + encodeUtf8Escaped(char).toString('hex');
    } else {
      out += char;
    }
  }
  return out;
}

export function parseFilter(text: string): FilterNode {
  const parser = new Parser(text);
  const node = parser.parseFilter();
  parser.skipSpaces();
  if (!parser.atEnd()) throw new FilterSyntaxError(`unexpected text after the filter at position ${parser.position + 1}`);
  return node;
}

export function serializeFilter(node: FilterNode): string {
  switch (node.type) {
    case 'and':
      return `(&${node.children.map(serializeFilter).join('')})`;
    case 'or':
      return `(|${node.children.map(serializeFilter).join('')})`;
    case 'not':
      return `(!${serializeFilter(node.child)})`;
    case 'equal':
      return `(${node.attribute}=${escapeFilterValue(node.value)})`;
    case 'approx':
      return `(${node.attribute}~=${escapeFilterValue(node.value)})`;
    case 'greaterOrEqual':
      return `(${node.attribute}>=${escapeFilterValue(node.value)})`;
    case 'lessOrEqual':
      return `(${node.attribute}<=${escapeFilterValue(node.value)})`;
    case 'present':
      return `(${node.attribute}=*)`;
    case 'substring': {
      const parts = [node.initial ?? '', ...node.any, node.final ?? ''].map(escapeFilterValue);
      return `(${node.attribute}=${parts.join('*')})`;
    }
    case 'extensible':
      return `(${node.attribute ?? ''}${node.dnAttributes ? ':dn' : ''}${node.rule ? ':' + node.rule : ''}:=${escapeFilterValue(node.value)})`;
  }
}

/** Attribute names a filter reads, lower-cased, each with its first spelling in the filter (`objectclass` -> `objectClass`). */
export function filterAttributeSpellings(node: FilterNode, into: Map<string, string> = new Map()): Map<string, string> {
  if ('children' in node) node.children.forEach((child) => filterAttributeSpellings(child, into));
  else if ('child' in node) filterAttributeSpellings(node.child, into);
  else if (node.attribute !== undefined && !into.has(node.attribute.toLowerCase())) into.set(node.attribute.toLowerCase(), node.attribute);
  return into;
}

/** Attribute names a filter reads, lower-cased: what to request so it can be evaluated in memory. */
export function filterAttributes(node: FilterNode): Set<string> {
  return new Set(filterAttributeSpellings(node).keys());
}

/**
 * Nesting depth a filter may have. RFC 4515 sets none, and the parser recurses per level: a 20,000-deep filter
 * overflowed the stack (a 500) or was stored and sent to the server (issue #12). Real filters nest a few levels;
 * 64 is also what the request encoder allows (src/ldap/filter-ber.ts).
 */
export const MAX_FILTER_DEPTH = 64;

class Parser {
  position = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  skipSpaces(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.position]!)) this.position++;
  }

  parseFilter(): FilterNode {
    this.skipSpaces();
    if (this.atEnd()) throw new FilterSyntaxError(this.position === 0 ? 'the filter is empty' : 'unbalanced parentheses: a closing ")" is missing');
    if (this.text[this.position] !== '(') {
      throw new FilterSyntaxError(`expected "(" at position ${this.position + 1}; a filter looks like (objectClass=person)`);
    }
    this.position++;
    if (++this.depth > MAX_FILTER_DEPTH) throw new FilterSyntaxError(`the filter is nested deeper than ${MAX_FILTER_DEPTH} levels`);
    this.skipSpaces();
    const node = this.parseComponent();
    this.depth--;
    this.skipSpaces();
    if (this.text[this.position] !== ')') throw new FilterSyntaxError('unbalanced parentheses: a closing ")" is missing');
    this.position++;
    return node;
  }

  private parseComponent(): FilterNode {
    const char = this.text[this.position];
    if (char === '&' || char === '|') {
      this.position++;
      const children = this.parseList();
      if (children.length === 0) throw new FilterSyntaxError(`"${char}" needs at least one filter inside it`);
      return { type: char === '&' ? 'and' : 'or', children };
    }
    if (char === '!') {
      this.position++;
      return { type: 'not', child: this.parseFilter() };
    }
    return this.parseItem();
  }

  private parseList(): FilterNode[] {
    const children: FilterNode[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.text[this.position] !== '(') return children;
      children.push(this.parseFilter());
    }
  }

  private parseItem(): FilterNode {
    const start = this.position;
    let end = start;
    while (end < this.text.length && !'=()'.includes(this.text[end]!)) end++;
    if (this.text[end] !== '=') {
      if (this.text[end] === '(' || end >= this.text.length) throw new FilterSyntaxError('unbalanced parentheses or a missing "="');
      throw new FilterSyntaxError(`missing "=" in the item at position ${start + 1}`);
    }
    let left = this.text.slice(start, end).trim();
    let type: 'equal' | 'approx' | 'greaterOrEqual' | 'lessOrEqual' = 'equal';
    const operator = left.slice(-1);
    if (operator === '~' || operator === '>' || operator === '<') {
      type = operator === '~' ? 'approx' : operator === '>' ? 'greaterOrEqual' : 'lessOrEqual';
      left = left.slice(0, -1).trim();
    }
    this.position = end + 1;
    const rawValue = this.readRawValue();
    if (type === 'equal' && left.endsWith(':')) return this.extensible(left.slice(0, -1), rawValue, start);
    if (!ATTRIBUTE_DESCRIPTION.test(left)) {
      throw new FilterSyntaxError(left === '' ? `missing attribute name at position ${start + 1}` : `invalid attribute name "${left}"`);
    }
    if (type === 'equal' && rawValue === '*') return { type: 'present', attribute: left };
    if (type === 'equal' && rawValue.includes('*')) return substring(left, rawValue, start);
    if (rawValue.includes('*')) throw new FilterSyntaxError(`"*" is only allowed with "=" (attribute "${left}")`);
    return { type, attribute: left, value: unescapeValue(rawValue, start) };
  }

  private extensible(left: string, rawValue: string, start: number): FilterNode {
    const parts = left.split(':');
    const attribute = parts[0] ? parts.shift() : (parts.shift(), undefined);
    let dnAttributes = false;
    if (parts[0]?.toLowerCase() === 'dn') {
      dnAttributes = true;
      parts.shift();
    }
    const rule = parts.shift();
    if (parts.length > 0 || (attribute !== undefined && !ATTRIBUTE_DESCRIPTION.test(attribute)) || (rule !== undefined && !MATCHING_RULE.test(rule))) {
      throw new FilterSyntaxError(`invalid extensible match "${left}:=" at position ${start + 1}`);
    }
    if (attribute === undefined && rule === undefined) throw new FilterSyntaxError('an extensible match needs an attribute or a matching rule');
    return { type: 'extensible', attribute, dnAttributes, rule, value: unescapeValue(rawValue, start) };
  }

  private readRawValue(): string {
    const start = this.position;
    while (!this.atEnd() && this.text[this.position] !== ')' && this.text[this.position] !== '(') this.position++;
    if (this.text[this.position] === '(') throw new FilterSyntaxError(`unescaped "(" in a value at position ${this.position + 1}; write it as \\28`);
    return this.text.slice(start, this.position);
  }
}

function substring(attribute: string, rawValue: string, start: number): FilterNode {
  const pieces = rawValue.split('*').map((piece) => unescapeValue(piece, start));
  const initial = pieces.shift();
  const final = pieces.pop();
  if (pieces.some((piece) => piece === '')) throw new FilterSyntaxError(`"**" is not allowed in the value of "${attribute}"`);
  return { type: 'substring', attribute, initial: initial || undefined, any: pieces, final: final || undefined };
}

function unescapeValue(raw: string, start: number): string {
  if (!raw.includes('\\')) return raw;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new FilterSyntaxError(`invalid escape "\\${hex}" near position ${start + 1}; use \\ followed by two hex digits`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const codePoint = raw.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      if (codePoint > 0xffff) i++;
      bytes.push(...encoder.encode(char));
    }
  }
  // Escapes may spell bytes that are not UTF-8 (an objectGUID): kept losslessly, sent as the same bytes.
  return decodeUtf8Escaped(new Uint8Array(bytes));
}
