/**
 * Opening connections: the three protocols of the manual, certificate verification, failover across the
 * configured servers, timeouts, and the bind.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ConnectionSettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { isNetworkError, toRosterError } from './errors.js';
import { LdapConnection } from './connection.js';
import { LdapSession } from './session.js';

export interface ServerAddress {
  host: string;
  port: number;
}

export type ConnectionOptionsSubset = Pick<ConnectionSettings, 'server' | 'protocol' | 'ignoreSslWarnings' | 'caCertificate' | 'timeoutSeconds' | 'connectTimeoutSeconds'>;

const DEFAULT_PORT = { ldap: 389, 'ldap-tls': 389, 'ldap-ssl': 636 } as const;

export function parseServerList(server: string, protocol: ConnectionSettings['protocol']): ServerAddress[] {
  return server
    .trim()
    .split(/[\s,]+/)
    .map((item) => {
      const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(item);
      if (!match) throw new RosterError('CONFIG_INVALID', `connection.server: "${item}" is not a host, host:port or [IPv6]:port`);
      return { host: match[1] ?? match[2]!, port: match[3] ? Number(match[3]) : DEFAULT_PORT[protocol] };
    });
}

function formatAddress(address: ServerAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function readCaCertificate(caCertificate: string | undefined): string | undefined {
  if (!caCertificate) return undefined;
  if (caCertificate.includes('-----BEGIN')) return caCertificate;
  try {
    return readFileSync(caCertificate, 'utf8');
  } catch (error) {
    throw new RosterError('CONFIG_INVALID', `connection.caCertificate: cannot read ${caCertificate} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
      details: [{ path: 'connection.caCertificate', message: 'file cannot be read' }],
    });
  }
}

/**
 * TLS options for one server. `host`/`servername` matter for StartTLS: without them Node checks the
 * certificate against "localhost". SNI must not carry an IP address (RFC 6066 §3), so servername is only
 * set for names; Node still checks IP addresses against the certificate's IP SANs through `host`.
 */
function tlsOptionsFor(settings: ConnectionOptionsSubset, host: string, ca: string | undefined): ConnectionOptions {
  return {
    host,
    ...(isIP(host) ? {} : { servername: host }),
    rejectUnauthorized: !settings.ignoreSslWarnings,
    ...(ca ? { ca: [ca] } : {}),
    minVersion: 'TLSv1.2',
  };
}

async function openOne(settings: ConnectionOptionsSubset, address: ServerAddress, ca: string | undefined): Promise<LdapSession> {
  const tlsOptions = tlsOptionsFor(settings, address.host, ca);
  const connection = await LdapConnection.open({
    host: address.host,
    port: address.port,
    ...(settings.protocol === 'ldap-ssl' ? { tls: tlsOptions } : {}),
    timeoutMs: settings.timeoutSeconds * 1000,
    connectTimeoutMs: settings.connectTimeoutSeconds * 1000,
  });
  try {
    if (settings.protocol === 'ldap-tls') await connection.startTls(tlsOptions);
    return new LdapSession(connection, formatAddress(address));
  } catch (error) {
    connection.close();
    throw error;
  }
}

/**
 * Connects to the first server that answers, in the configured order. Only network failures move on to the
 * next server: a certificate or credential problem is the same on every server and is reported at once.
 */
export async function openSession(settings: ConnectionOptionsSubset): Promise<LdapSession> {
  const addresses = parseServerList(settings.server, settings.protocol);
  const ca = readCaCertificate(settings.caCertificate);
  const failures: string[] = [];
  for (const address of addresses) {
    try {
      return await openOne(settings, address, ca);
    } catch (error) {
      if (!isNetworkError(error)) throw toRosterError(error, settings.protocol === 'ldap-tls' ? 'StartTLS' : 'connection', formatAddress(address));
      failures.push(`${formatAddress(address)}: ${toRosterError(error, 'connection').message}`);
    }
  }
  throw new RosterError('LDAP_CONNECT_FAILED', `No directory server could be reached:\n  ${failures.join('\n  ')}`, { details: { servers: failures } });
}

/** Opens a session and binds as the administrative DN; closes the session if the bind fails. */
export async function openBoundSession(settings: ConnectionSettings): Promise<LdapSession> {
  const session = await openSession(settings);
  try {
    await session.bind(settings.administrativeDn, settings.password, 'bind of the administrative DN');
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}
