import { BindRequest, FilterParser, PagedResultsControl, SearchRequest, StatusCodeParser, type Control, type Filter } from 'ldapts';
import { RosterError } from '../errors.js';
import type { RawAttributes } from './ber.js';
import type { LdapConnection, LdapResponse, SearchListener } from './connection.js';
import { LdapEntry } from './entry.js';
import { RESULT_CODE, toRosterError } from './errors.js';

export interface SearchRequestSpec {
  base: string;
  filter: string;
  attributes: string[];
  scope?: 'base' | 'one' | 'sub';
  /** Attributes whose values are kept as bytes (objectGUID); matched case-insensitively. */
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

interface PageResult extends SearchPage {
  /** The paged-results cookie for the next page; empty when this was the last. */
  cookie: Buffer;
}

const SUCCESS = 0;

function collector(binaryAttributes: string[] | undefined): SearchListener & SearchPage {
  const page: SearchListener & SearchPage = {
    entries: [],
    references: [],
    binary: new Set((binaryAttributes ?? []).map((name) => name.toLowerCase())),
    onEntry: (dn: string, attributes: RawAttributes) => page.entries.push(new LdapEntry(dn, attributes)),
    onReference: (uris: string[]) => page.references.push(...uris),
  };
  return page;
}

function pagedCookie(response: LdapResponse): Buffer {
  for (const control of response.controls ?? []) if (control instanceof PagedResultsControl) return control.value?.cookie ?? Buffer.alloc(0);
  return Buffer.alloc(0);
}

/** A connection to one directory server. */
export class LdapSession {
  constructor(
    private readonly connection: LdapConnection,
    readonly server: string,
  ) {}

  get isOpen(): boolean {
    return this.connection.isOpen;
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
      const response = await this.connection.send(new BindRequest({ messageId: this.connection.nextMessageId(), dn, password }));
      if (response.status !== SUCCESS) throw StatusCodeParser.parse(response);
    } catch (error) {
      throw toRosterError(error, purpose, this.server);
    }
  }

  /**
   * A paged search (RFC 2696), one page at a time. The next page is requested as soon as one arrives, so the
   * server prepares it while the caller processes the current one; memory holds two pages at most.
   */
  async *searchPages(request: SearchRequestSpec): AsyncGenerator<SearchPage> {
    try {
      const filter = FilterParser.parseString(request.filter);
      const size = request.pageSize ?? 500;
      let next: Promise<PageResult> | undefined = this.page(request, filter, size, Buffer.alloc(0));
      while (next) {
        const page: PageResult = await next;
        next = undefined;
        if (page.cookie.length > 0) {
          next = this.page(request, filter, size, page.cookie);
          // A caller that stops early never awaits the prefetched page; its failure must not go unhandled.
          next.catch(() => {});
        }
        yield page;
      }
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  private async page(request: SearchRequestSpec, filter: Filter, size: number, cookie: Buffer): Promise<PageResult> {
    const { page, response } = await this.search(request, filter, { controls: [new PagedResultsControl({ value: { size, cookie } })] });
    if (response.status !== SUCCESS) throw StatusCodeParser.parse(response);
    const next = pagedCookie(response);
    if (next.length > 0 && page.entries.length === 0 && page.references.length === 0 && next.equals(cookie)) {
      throw new RosterError('LDAP_OPERATION_FAILED', 'The server returned an empty page with the same paging cookie; the search would never end.');
    }
    return { entries: page.entries, references: page.references, cookie: next };
  }

  /** One search request; its entries and references are collected, the final response returned as it came. */
  private async search(
    request: Omit<SearchRequestSpec, 'pageSize'>,
    filter: Filter,
    extra: { sizeLimit?: number; controls?: PagedResultsControl[] },
  ): Promise<{ page: SearchPage; response: LdapResponse }> {
    const page = collector(request.binaryAttributes);
    const response = await this.connection.send(
      new SearchRequest({
        messageId: this.connection.nextMessageId(),
        baseDN: request.base,
        scope: request.scope ?? 'sub',
        filter,
        attributes: request.attributes,
        ...extra,
      }),
      page,
    );
    return { page, response };
  }

  /**
   * A search expected to find a handful of entries (a login's lookup by name): unpaged, with a size limit, so the
   * server does no paging work; reaching the limit is not an error, the caller sees `limit` entries.
   */
  async searchFew(request: Omit<SearchRequestSpec, 'pageSize'>, limit: number): Promise<LdapEntry[]> {
    try {
      return await this.searchOnce(request, limit);
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  /** Reads one entry by DN (base scope, unpaged); undefined when it does not exist. */
  async readEntry(dn: string, attributes: string[], purpose: string, binaryAttributes: string[] = []): Promise<LdapEntry | undefined> {
    try {
      const [entry] = await this.searchOnce({ base: dn, scope: 'base', filter: '(objectClass=*)', attributes, binaryAttributes, purpose }, 0);
      return entry;
    } catch (error) {
      const mapped = toRosterError(error, purpose, this.server);
      if (mapped.code === 'LDAP_NO_SUCH_BASE') return undefined;
      throw mapped;
    }
  }

  private async searchOnce(request: Omit<SearchRequestSpec, 'pageSize'>, sizeLimit: number): Promise<LdapEntry[]> {
    const { page, response } = await this.search(request, FilterParser.parseString(request.filter), { sizeLimit });
    const limitReached = sizeLimit > 0 && response.status === RESULT_CODE.sizeLimitExceeded;
    if (response.status !== SUCCESS && !limitReached) throw StatusCodeParser.parse(response);
    return page.entries;
  }

  /**
   * One unpaged search with request controls, every message of which goes to `listener` (content-sync.ts); the
   * final response is returned whatever its result code. Failures of the connection become RosterErrors.
   */
  async searchWithControls(request: Omit<SearchRequestSpec, 'pageSize'>, controls: Control[], listener: SearchListener): Promise<LdapResponse> {
    try {
      return await this.connection.send(
        new SearchRequest({
          messageId: this.connection.nextMessageId(),
          baseDN: request.base,
          scope: request.scope ?? 'sub',
          filter: FilterParser.parseString(request.filter),
          attributes: request.attributes,
          controls,
        }),
        listener,
      );
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  /** An error of an operation on this session as a RosterError naming the operation and the server. */
  mapError(error: unknown, purpose: string): RosterError {
    return toRosterError(error, purpose, this.server);
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
