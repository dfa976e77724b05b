import { RosterError } from '../errors.js';
import type { LdapSession } from './session.js';

/** Naming contexts that never hold users: the server's own configuration and monitoring trees. */
const INTERNAL_CONTEXT = /^(cn=config|cn=monitor|cn=schema|cn=subschema|o=netscaperoot|cn=changelog)$/i;

/**
 * Detects the base DN from the root DSE: AD names it in defaultNamingContext; other servers list their
 * namingContexts (RFC 4512 §5.1), and one user tree among them is unambiguous.
 */
export async function detectBaseDn(session: LdapSession): Promise<string> {
  const rootDse = await session.readEntry('', ['defaultNamingContext', 'namingContexts'], 'read of the root DSE');
  const defaultContext = rootDse?.first('defaultNamingContext');
  if (defaultContext) return defaultContext;
  const contexts = (rootDse?.values('namingContexts') ?? []).filter((context) => context !== '' && !INTERNAL_CONTEXT.test(context));
  if (contexts.length === 1) return contexts[0]!;
  throw new RosterError(
    'LDAP_BASE_DN_UNDETECTED',
    contexts.length === 0
      ? `The server ${session.server} names no naming context in its root DSE; set connection.baseDn.`
      : `The server ${session.server} has several naming contexts (${contexts.join('; ')}); set connection.baseDn to one of them.`,
  );
}
