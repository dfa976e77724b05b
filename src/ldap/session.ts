import { RosterError } from '../errors.js';
import type { LdapConnection, FinalResponse, IntermediateResponse, SearchListener } from './connection.js';
import { CONTROL_OID, decodePagedResults, findControl, pagedResultsControl } from './controls.js';
import { LdapEntry } from './entry.js';
import type { RawAttributes } from './entry-decoder.js';
import { RESULT_CODE, toRosterError } from './errors.js';
import { LdapResultError, type Control, type LdapResult } from './failures.js';
import { EXTENDED_OID, encodeBindRequest, encodeExtendedRequest, encodeSearchRequest, type SearchParameters } from './messages.js';

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

/** A search with everything the protocol offers: for RFC 4533 content sync, AD DirSync and the like. */
export interface ControlledSearchRequest extends Omit<SearchRequestSpec, 'pageSize'> {
  controls?: readonly Control[];
  sizeLimit?: number;
  /** Seconds, as sent to the server (RFC 4511 §4.5.1.5). */
  timeLimit?: number;
  /** Overrides connection.timeoutSeconds for this search; 0 waits forever (refreshAndPersist). */
  timeoutMs?: number;
  /** Aborting abandons the search (RFC 4511 §4.11); the call then fails with LDAP_OPERATION_FAILED. */
  signal?: AbortSignal;
}

export interface ControlledSearchHandlers {
  onEntry(entry: LdapEntry, controls: readonly Control[]): void;
  onReference?(uris: string[], controls: readonly Control[]): void;
  onIntermediate?(response: IntermediateResponse): void;
}

/** The final SearchResultDone, whatever its result code, with its response controls. */
export interface SearchDone {
  result: LdapResult;
  controls: readonly Control[];
}

const SUCCESS = 0;

function collector(binaryAttributes: readonly string[] | undefined): SearchListener & SearchPage {
  const page: SearchListener & SearchPage = {
    entries: [],
    references: [],
    binary: binarySet(binaryAttributes),
    onEntry: (dn: string, attributes: RawAttributes) => page.entries.push(new LdapEntry(dn, attributes)),
    onReference: (uris: string[]) => page.references.push(...uris),
  };
  return page;
}

function binarySet(binaryAttributes: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((binaryAttributes ?? []).map((name) => name.toLowerCase()));
}

/** The final response's result as a typed error, or nothing when it succeeded. */
function failed(operation: string, response: FinalResponse): LdapResultError | undefined {
  return response.result.resultCode === SUCCESS ? undefined : new LdapResultError(operation, response.result, response.controls);
}

function pagedCookie(response: FinalResponse): Buffer {
  const control = findControl(response.controls, CONTROL_OID.pagedResults);
  return control ? decodePagedResults(control).cookie : Buffer.alloc(0);
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
   * unauthenticated bind, which many servers answer with success. Returns the response controls (a password
   * policy response, when `controls` asked for one); a refused bind's controls are on the LdapResultError
   * that is the RosterError's cause.
   */
  async bind(dn: string, password: string, purpose: string, controls?: readonly Control[]): Promise<readonly Control[]> {
    if (dn.trim() === '' || password === '') {
      throw new RosterError('LDAP_INVALID_CREDENTIALS', `Refused the ${purpose}: an empty DN or password would be an unauthenticated bind.`);
    }
    try {
      const messageId = this.connection.nextMessageId();
      const response = await this.connection.send({ messageId, bytes: encodeBindRequest(messageId, dn, password, controls), operation: 'bind' });
      const error = failed('bind', response);
      if (error) throw error;
      return response.controls;
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
      const size = request.pageSize ?? 500;
      let next: Promise<PageResult> | undefined = this.page(request, size, Buffer.alloc(0));
      while (next) {
        const page: PageResult = await next;
        next = undefined;
        if (page.cookie.length > 0) {
          next = this.page(request, size, page.cookie);
          // A caller that stops early never awaits the prefetched page; its failure must not go unhandled.
          next.catch(() => {});
        }
        yield page;
      }
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  private async page(request: SearchRequestSpec, size: number, cookie: Buffer): Promise<PageResult> {
    const { page, response } = await this.search(request, { controls: [pagedResultsControl({ size, cookie })] });
    const error = failed('search', response);
    if (error) throw error;
    const next = pagedCookie(response);
    if (next.length > 0 && page.entries.length === 0 && page.references.length === 0 && next.equals(cookie)) {
      throw new RosterError('LDAP_OPERATION_FAILED', 'The server returned an empty page with the same paging cookie; the search would never end.');
    }
    return { entries: page.entries, references: page.references, cookie: next };
  }

  /** One search request; its entries and references are collected, the final response returned as it came. */
  private async search(
    request: Omit<SearchRequestSpec, 'pageSize'>,
    extra: { sizeLimit?: number; controls?: readonly Control[] },
  ): Promise<{ page: SearchPage; response: FinalResponse }> {
    const page = collector(request.binaryAttributes);
    const response = await this.sendSearch({ ...request, ...extra }, page);
    return { page, response };
  }

  private sendSearch(request: ControlledSearchRequest, listener: SearchListener): Promise<FinalResponse> {
    const parameters: SearchParameters = {
      base: request.base,
      scope: request.scope ?? 'sub',
      filter: request.filter,
      attributes: request.attributes,
      sizeLimit: request.sizeLimit ?? 0,
      timeLimit: request.timeLimit ?? 0,
    };
    const messageId = this.connection.nextMessageId();
    const bytes = encodeSearchRequest(messageId, parameters, request.controls);
    const sent = this.connection.send({ messageId, bytes, operation: 'search', ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}) }, listener);
    const signal = request.signal;
    if (signal) {
      const abandon = () => this.connection.abandon(messageId);
      if (signal.aborted) abandon();
      else signal.addEventListener('abort', abandon, { once: true });
      void sent.finally(() => signal.removeEventListener('abort', abandon)).catch(() => {});
    }
    return sent;
  }

  /**
   * A search with request controls, entry and reference controls and intermediate responses handed over as they
   * come (RFC 4533 content sync, AD DirSync). The SearchResultDone is returned whatever its result code (RFC 4533's
   * e-syncRefreshRequired is an answer, not a failure); transport and protocol failures throw RosterErrors.
   */
  async searchWithControls(request: ControlledSearchRequest, handlers: ControlledSearchHandlers): Promise<SearchDone> {
    const listener: SearchListener = {
      binary: binarySet(request.binaryAttributes),
      onEntry: (dn, attributes, controls) => handlers.onEntry(new LdapEntry(dn, attributes), controls),
      ...(handlers.onReference ? { onReference: handlers.onReference } : {}),
      ...(handlers.onIntermediate ? { onIntermediate: handlers.onIntermediate } : {}),
    };
    try {
      const response = await this.sendSearch(request, listener);
      return { result: response.result, controls: response.controls };
    } catch (error) {
      throw toRosterError(error, request.purpose, this.server);
    }
  }

  /** An extended operation (RFC 4511 §4.12); fails with the mapped RosterError unless the result is success. */
  async extended(oid: string, purpose: string, value?: Buffer, controls?: readonly Control[]): Promise<{ name?: string; value?: Buffer; controls: readonly Control[] }> {
    try {
      const messageId = this.connection.nextMessageId();
      const response = await this.connection.send({ messageId, bytes: encodeExtendedRequest(messageId, oid, value, controls), operation: purpose });
      const error = failed(purpose, response);
      if (error) throw error;
      return response.kind === 'extended' ? { ...response } : { controls: response.controls };
    } catch (error) {
      throw toRosterError(error, purpose, this.server);
    }
  }

  /** Who am I (RFC 4532): the authorization identity of this connection ("dn:...", "u:...", or "" if anonymous). */
  async whoAmI(): Promise<string> {
    const response = await this.extended(EXTENDED_OID.whoAmI, 'Who am I operation');
    return response.value?.toString('utf8') ?? '';
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
    const { page, response } = await this.search(request, { sizeLimit });
    const limitReached = sizeLimit > 0 && response.result.resultCode === RESULT_CODE.sizeLimitExceeded;
    const error = limitReached ? undefined : failed('search', response);
    if (error) throw error;
    return page.entries;
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
