/** Builds LDIF (RFC 2849): values that are not safe ASCII strings are base64-encoded. */
export type LdifValue = string | Buffer | number;
export type LdifAttributes = Record<string, LdifValue | LdifValue[] | undefined>;

const SAFE = /^[\x01-\x09\x0b-\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b-\x0c\x0e-\x7f]*$/;

export function ldifLine(name: string, value: LdifValue): string {
  if (Buffer.isBuffer(value)) return `${name}:: ${value.toString('base64')}`;
  const text = String(value);
  return SAFE.test(text) && !text.endsWith(' ') ? `${name}: ${text}` : `${name}:: ${Buffer.from(text, 'utf8').toString('base64')}`;
}

export function ldifEntry(dn: string, attributes: LdifAttributes): string {
  const lines = [ldifLine('dn', dn)];
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(ldifLine(name, item));
  }
  return lines.join('\n') + '\n';
}
