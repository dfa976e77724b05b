import type { Entry } from 'ldapts';

/**
 * A search result entry with case-insensitive attribute access. ldapts gives one value as a string and several
 * as an array; here every attribute is a list. Attribute options (`member;range=0-1499`) are kept in the name.
 */
export class LdapEntry {
  private readonly attributes = new Map<string, Array<string | Buffer>>();

  constructor(
    readonly dn: string,
    raw: Record<string, unknown> = {},
  ) {
    for (const [name, value] of Object.entries(raw)) {
      if (name === 'dn') continue;
      // ldapts lists every requested attribute, with [] when the entry has no value.
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0) continue;
      this.attributes.set(name.toLowerCase(), values as Array<string | Buffer>);
    }
  }

  static fromLdapts(entry: Entry): LdapEntry {
    return new LdapEntry(entry.dn, entry as unknown as Record<string, unknown>);
  }

  /** String values of an attribute (empty when absent); binary values are decoded as UTF-8. */
  values(name: string): string[] {
    const values = this.attributes.get(name.toLowerCase());
    if (!values) return [];
    return values.map((value) => (typeof value === 'string' ? value : value.toString('utf8')));
  }

  first(name: string): string | undefined {
    return this.values(name)[0];
  }

  buffer(name: string): Buffer | undefined {
    const value = this.attributes.get(name.toLowerCase())?.[0];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }

  has(name: string): boolean {
    return this.attributes.has(name.toLowerCase());
  }

  /** Attribute names present, lower-cased, including any with options such as `member;range=0-1499`. */
  names(): string[] {
    return [...this.attributes.keys()];
  }
}
