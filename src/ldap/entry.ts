import type { RawAttributes } from './ber.js';

const lowerCaseNames = new Map<string, string>();

/** Attribute names repeat across every entry of a search: lower-case each one once. */
function lowerCased(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    lowerCaseNames.set(name, lower);
  }
  return lower;
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

  private rawValues(name: string): Array<string | Buffer> {
    // Servers answer with the spelling that was requested: one property read instead of a scan of the entry.
    const direct = this.raw[name];
    if (direct !== undefined) return Array.isArray(direct) ? direct : [direct];
    const wanted = lowerCased(name);
    for (const key in this.raw) {
      if (lowerCased(key) !== wanted) continue;
      const value = this.raw[key]!;
      return Array.isArray(value) ? value : [value];
    }
    return [];
  }

  /** String values of an attribute (empty when absent); binary values are decoded as UTF-8. */
  values(name: string): string[] {
    const values = this.rawValues(name);
    return values.every((value) => typeof value === 'string') ? (values as string[]) : values.map((value) => value.toString());
  }

  first(name: string): string | undefined {
    const value = this.rawValues(name)[0];
    return value === undefined ? undefined : value.toString();
  }

  buffer(name: string): Buffer | undefined {
    const value = this.rawValues(name)[0];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }

  /** True when the attribute has at least one value (a server may list an attribute without values). */
  has(name: string): boolean {
    return this.rawValues(name).length > 0;
  }

  /** Attribute names present with values, lower-cased, including any with options such as `member;range=0-1499`. */
  names(): string[] {
    return Object.keys(this.raw)
      .filter((key) => this.rawValues(key).length > 0)
      .map(lowerCased);
  }
}
