/** Reads the server's object class hierarchy, so that `(objectClass=X)` can be evaluated in memory exactly. */
import type { LdapSession } from '../ldap/session.js';
import { ClassHierarchy } from '../rfc/object-classes.js';

/**
 * The hierarchy from the subschema entry the root DSE names (RFC 4512 §5.1, §4.2); undefined when the server does
 * not publish one to this account. Then objectClass conditions are left to the server, which is exact too.
 */
export async function readClassHierarchy(session: LdapSession): Promise<ClassHierarchy | undefined> {
  const root = await session.readEntry('', ['subschemaSubentry'], 'read of the root DSE');
  const subschema = root?.first('subschemaSubentry');
  if (!subschema) return undefined;
  const entry = await session.readEntry(subschema, ['objectClasses'], `read of the schema (${subschema})`);
  const descriptions = entry?.values('objectClasses') ?? [];
  const hierarchy = new ClassHierarchy(descriptions);
  return hierarchy.size > 0 ? hierarchy : undefined;
}
