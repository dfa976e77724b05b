import type { RawAttributes } from './entry-decoder.js';

/**
 * Attribute descriptions are ASCII (RFC 4512 §2.5) and compared case-insensitively: compared in place, without
 * lower-casing either side (no string per comparison, and no cache of lower-cased names to keep).
 */
function sameNameIgnoringCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}

/**
 * A search result entry with case-insensitive attribute access. The decoder (ber.ts) gives one value as itself and
 * several as an array; here every attribute is a list. Attribute options (`member;range=0-1499`) are kept in the name.
 * The raw object is wrapped, not copied: a sync reads 100,000 of these.
 */
export class LdapEntry {
  constructor(
    readonly dn: string,
    private readonly raw: RawAttributes = {},
  ) {}

  /** The attribute as decoded: a value, a list of values, or undefined. Case-insensitive. */
  private lookup(name: string): RawAttributes[string] | undefined {
    // Servers answer with the spelling that was requested: one property read instead of a scan of the entry.
    const direct = this.raw[name];
    if (direct !== undefined) return direct;
    // Absent attributes (the lock attributes, on most entries) end here: names of another length fail at once.
    for (const key in this.raw) if (sameNameIgnoringCase(key, name)) return this.raw[key];
    return undefined;
  }

  // first(), buffer() and has() read the decoded value without wrapping it in a list: they run several times for
  // each of 100,000 entries.
  private firstRaw(name: string): string | Buffer | undefined {
    const raw = this.lookup(name);
    return Array.isArray(raw) ? raw[0] : raw;
  }

  /** String values of an attribute (empty when absent); binary values are decoded as UTF-8. */
  values(name: string): string[] {
    const raw = this.lookup(name);
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return [raw.toString()];
    return raw.every((value) => typeof value === 'string') ? (raw as string[]) : raw.map((value) => value.toString());
  }

  first(name: string): string | undefined {
    return this.firstRaw(name)?.toString();
  }

  buffer(name: string): Buffer | undefined {
    const value = this.firstRaw(name);
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }

  /** True when the attribute has at least one value (a server may list an attribute without values). */
  has(name: string): boolean {
    return this.firstRaw(name) !== undefined;
  }

  /** Attribute names present with values, lower-cased, including any with options such as `member;range=0-1499`. */
  names(): string[] {
    return Object.keys(this.raw)
      .filter((key) => this.firstRaw(key) !== undefined)
      .map((key) => key.toLowerCase());
  }
}
