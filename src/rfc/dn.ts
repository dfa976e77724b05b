/**
 * RFC 4514 distinguished names: parse, escape and normalize, so DNs from member attributes, the settings and
 * search results compare equal however the server or the administrator escaped them
 * (`cn=Smith\, John` = `CN=smith\2c john`).
 * Values compare case-insensitively: true for the naming attributes of every directory we target
 * (cn, uid, ou, dc, o use caseIgnoreMatch).
 */
export interface RelativeDnPart {
  type: string;
  value: string;
}

export class DnSyntaxError extends Error {}

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;

export function parseDn(text: string): RelativeDnPart[][] {
  const rdns: RelativeDnPart[][] = [];
  if (text.trim() === '') return rdns;
  let rdn: RelativeDnPart[] = [];
  let i = 0;
  for (;;) {
    const equals = text.indexOf('=', i);
    if (equals < 0) throw new DnSyntaxError(`"${text}" is not a DN: "=" missing after "${text.slice(i).trim()}"`);
    const type = text.slice(i, equals).trim();
    if (!TYPE.test(type)) throw new DnSyntaxError(`"${text}" is not a DN: invalid attribute type "${type}"`);
    const { value, end } = readValue(text, equals + 1);
    rdn.push({ type, value });
    i = end;
    if (i >= text.length) break;
    const separator = text[i];
    i++;
    if (separator === ',' || separator === ';') {
      rdns.push(rdn);
      rdn = [];
    }
  }
  rdns.push(rdn);
  return rdns;
}

function readValue(text: string, start: number): { value: string; end: number } {
  let i = start;
  while (text[i] === ' ') i++;
  if (text[i] === '#') {
    let end = i + 1;
    while (end < text.length && /[0-9A-Fa-f]/.test(text[end]!)) end++;
    const hex = text.slice(i + 1, end);
    if (hex.length === 0 || hex.length % 2 !== 0) throw new DnSyntaxError(`"${text}" is not a DN: bad hex value`);
    return { value: '#' + hex.toLowerCase(), end: skipTrailingSpace(text, end) };
  }
  // Plain characters are copied as they are; runs of \XX escapes are decoded together, since one UTF-8
  // character may span several of them (\C3\AB = ë).
  let value = '';
  let escapedBytes: number[] = [];
  let trailingSpaces = 0;
  const flushBytes = () => {
    if (escapedBytes.length > 0) value += Buffer.from(escapedBytes).toString('utf8');
    escapedBytes = [];
  };
  while (i < text.length) {
    const char = text[i]!;
    if (char === ',' || char === ';' || char === '+') break;
    if (char === '\\') {
      const next = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(next)) {
        escapedBytes.push(parseInt(next, 16));
        i += 3;
      } else if (i + 1 < text.length) {
        flushBytes();
        value += text[i + 1];
        i += 2;
      } else {
        throw new DnSyntaxError(`"${text}" is not a DN: it ends with a lone backslash`);
      }
      trailingSpaces = 0;
      continue;
    }
    flushBytes();
    trailingSpaces = char === ' ' ? trailingSpaces + 1 : 0;
    value += char;
    i++;
  }
  flushBytes();
  if (trailingSpaces > 0) value = value.slice(0, value.length - trailingSpaces);
  return { value, end: i };
}

function skipTrailingSpace(text: string, i: number): number {
  while (text[i] === ' ') i++;
  return i;
}

/** RFC 4514 §2.4: escape a value for use in a DN. */
export function escapeDnValue(value: string): string {
  let out = '';
  [...value].forEach((char, index, chars) => {
    if ('"+,;<>\\='.includes(char)) out += '\\' + char;
    else if (char === '\u0000') out += '\\00';
    else if ((index === 0 && (char === ' ' || char === '#')) || (index === chars.length - 1 && char === ' ')) out += '\\' + char;
    else out += char;
  });
  return out;
}

export function formatDn(rdns: RelativeDnPart[][]): string {
  return rdns.map((rdn) => rdn.map((part) => `${part.type}=${escapeDnValue(part.value)}`).join('+')).join(',');
}

/** A key that is equal for equal DNs: types and values lower-cased, multi-valued RDNs sorted, escaping canonical. */
export function normalizeDn(text: string): string {
  const rdns = parseDn(text).map((rdn) =>
    rdn
      .map((part) => ({ type: part.type.toLowerCase(), value: part.value.replace(/\s+/g, ' ').toLowerCase() }))
      .sort((a, b) => (a.type + '=' + a.value).localeCompare(b.type + '=' + b.value)),
  );
  return formatDn(rdns);
}

/**
 * DNs as servers send them are nearly always "plain": RDNs `type=value` joined by commas, with no escapes, no
 * multi-valued RDNs, no '=' in values, no space at either end of a value and single spaces only. For those,
 * normalizeDn() is exactly lower-casing; parsing them costs a sync about a second on 200,000 DNs.
 */
const PLAIN_VALUE = String.raw`[^\s,=+;\\"<>#](?:[^\s,=+;\\"<>]| (?=[^\s,=+;\\"<>]))*`;
const PLAIN_DN = new RegExp(String.raw`^[A-Za-z][A-Za-z0-9-]*=${PLAIN_VALUE}(?:,[A-Za-z][A-Za-z0-9-]*=${PLAIN_VALUE})*$`);

/** Lower-cases, returning the same string when nothing changes: a snapshot then holds one copy, not two. */
function lowerCaseShared(text: string): string {
  const lower = text.toLowerCase();
  return lower === text ? text : lower;
}

/** Like normalizeDn, but never throws: a value that is not a DN is keyed by itself, lower-cased. */
export function dnKey(text: string): string {
  if (PLAIN_DN.test(text)) return lowerCaseShared(text);
  try {
    return normalizeDn(text);
  } catch {
    return text.trim().toLowerCase();
  }
}

export function looksLikeDn(text: string): boolean {
  try {
    return parseDn(text).length > 0;
  } catch {
    return false;
  }
}

/** True when `dn` is `base` or lies below it. */
export function isDnWithin(dn: string, base: string): boolean {
  const child = dnKey(dn);
  const parent = dnKey(base);
  return parent === '' || child === parent || child.endsWith(',' + parent);
}
