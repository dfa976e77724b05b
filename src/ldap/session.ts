import type { Client, Entry } from 'ldapts';
import { RosterError } from '../errors.js';
import { LdapEntry } from './entry.js';
import { toRosterError } from './errors.js';

export interface SearchRequest {
  base: string;
  filter: string;
  attributes: string[];
  scope?: 'base' | 'one' | 'sub';
  /** Attributes returned as Buffers; case-sensitive in ldapts, so use the server's spelling (objectGUID). */
  binaryAttributes?: string[];
  pageSize?: number;
  /** Names the search in error messages. */
  purpose: string;
}

export interface SearchPage {
  entries: LdapEntry[];
  /** Continuation references (RFC 4511 §4.5.3). AD returns some at a domain root; they are not followed. */
  references: string[];
}

/** A connection to one directory server. */
export class LdapSession {
  constructor(
    private readonly client: Client,
    readonly server: string,
  ) {}

  /** Opens the TCP/TLS connection without binding (ldapts otherwise connects lazily on first use). */
  async ensureConnected(): Promise<void> {
    // A root DSE read is the cheapest operation every server allows before a bind.
    await this.client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
  }

  /**
   * Simple bind. An empty password is refused here, before anything is sent: RFC 4513 §5.1.2 makes it an
   * unauthenticated bind, which many servers answer with success.
   */
  async bind(dn: string, password: string, purpose: string): Promise<void> {
    if (dn.trim() === '' || password === '') {
      throw new RosterError('LDAP_INVALID_CREDENTIALS', `Refused the ${purpose}: an empty DN or password would be an unauthenticated bind.`);
    }
    try {
      await this.client.bind(dn, password);
    } catch (error) {
      throw toRosterError(error, purpose, this.server);
    }
  }

  /**
   * A paged search (RFC 2696), one page at a time. The next page is requested as soon as one arrives, so the
   * server prepares it while the caller processes the current one; memory holds two pages at most.
   */
  async *searchPages(request: SearchRequest): AsyncGenerator<SearchPage> {
    const pages = this.client.searchPaginated(request.base, {
      scope: request.scope ?? 'sub',
      filter: request.filter,
      attributes: request.attributes,
      explicitBufferAttributes: request.binaryAttributes ?? [],
      paged: { pageSize: request.pageSize ?? 500 },
    });
    let pending = pages.next();
    try {
      for (;;) {
        const result = await pending;
        if (result.done) return;
        pending = pages.next();
        // A caller that stops early never awaits the prefetched page; its failure must not go unhandled.
        pending.catch(() => {});
        yield { entries: result.value.searchEntries.map((entry: Entry) => LdapEntry.fromLdapts(entry)), references: result.value.searchReferences };
      }
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  /**
   * A search expected to find a handful of entries (a login's lookup by name): unpaged, with a size limit, so the
   * server does no paging work; reaching the limit is not an error, the caller sees `limit` entries.
   */
  async searchFew(request: Omit<SearchRequest, 'pageSize'>, limit: number): Promise<LdapEntry[]> {
    try {
      const result = await this.client.search(request.base, {
        scope: request.scope ?? 'sub',
        filter: request.filter,
        attributes: request.attributes,
        explicitBufferAttributes: request.binaryAttributes ?? [],
        sizeLimit: limit,
      });
      return result.searchEntries.map((entry: Entry) => LdapEntry.fromLdapts(entry));
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  /** Reads one entry by DN (base scope, unpaged); undefined when it does not exist. */
  async readEntry(dn: string, attributes: string[], purpose: string, binaryAttributes: string[] = []): Promise<LdapEntry | undefined> {
    try {
      const result = await this.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes, explicitBufferAttributes: binaryAttributes });
      const entry = result.searchEntries[0];
      return entry ? LdapEntry.fromLdapts(entry) : undefined;
    } catch (error) {
      const mapped = toRosterError(error, purpose, this.server);
      if (mapped.code === 'LDAP_NO_SUCH_BASE') return undefined;
      throw mapped;
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.unbind();
    } catch {
      // The connection may already be gone; closing is best effort.
    }
  }
}
