/**
 * One LDAP connection: the socket, StartTLS, message ids, time-outs, and the stream of responses. Requests are
 * encoded by ldapts' message classes and responses other than search entries are decoded by its parser; search
 * entries, nearly all of the bytes a sync receives, are decoded by ber.ts straight from the network chunks.
 *
 * Unlike ldapts' Client this never reconnects by itself: a connection that dropped stays dropped, and whoever
 * holds it opens a new one (with StartTLS and a bind, where ldapts would silently have come back unencrypted
 * and anonymous).
 */
import net from 'node:net';
import tls from 'node:tls';
import { ExtendedRequest, MessageParser, StatusCodeParser, UnbindRequest, type BindRequest, type SearchRequest } from 'ldapts';
import { FrameReader, LdapProtocolError, decodeSearchEntry, type Frame, type RawAttributes } from './ber.js';

/** A response as ldapts decodes it (its class is not exported by name). */
export type LdapResponse = NonNullable<Parameters<typeof StatusCodeParser.parse>[0]>;
type LdapRequest = BindRequest | SearchRequest | ExtendedRequest | UnbindRequest;

const OPERATION = { searchEntry: 0x64, searchReference: 0x73 } as const;
const START_TLS = '1.3.6.1.4.1.1466.20037';
const MAX_MESSAGE_ID = 0x7fffffff;

export interface ConnectionTarget {
  host: string;
  port: number;
  /** TLS from the first byte (ldaps); StartTLS is a separate step, see startTls(). */
  tls?: tls.ConnectionOptions;
  /** How long one request may wait for its response; 0 waits forever. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

export interface SearchListener {
  onEntry(dn: string, attributes: RawAttributes): void;
  onReference?(uris: string[]): void;
  /** Lower-cased names of the attributes whose values are kept as bytes. */
  binary: ReadonlySet<string>;
  /**
   * Sees each message of the search first (content-sync.ts: entry controls, IntermediateResponse, the final
   * response's controls); returning true means it was handled and nothing else is done with it.
   */
  onMessage?(frame: Frame): boolean;
}

interface PendingRequest {
  request: LdapRequest;
  resolve(response: LdapResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  search: SearchListener | undefined;
}

/** Waits for a socket's connect (or TLS handshake) event; on an error or the time-out it is destroyed. */
function ready(socket: net.Socket, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = timeoutMs ? setTimeout(() => failed(new Error('Connection timeout')), timeoutMs) : undefined;
    socket.once('error', failed);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeListener('error', failed);
      resolve();
    });
  });
}

/** Errors of a connection that is gone; the message matches what errors.ts recognizes as a network failure. */
function connectionClosed(detail: string): Error {
  return new Error(`Connection closed: ${detail}`);
}

export class LdapConnection {
  private readonly frames = new FrameReader();
  private readonly parser = new MessageParser();
  private readonly pending = new Map<number, PendingRequest>();
  private parsed: LdapResponse | undefined;
  private parseError: Error | undefined;
  private lastMessageId = 0;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    try {
      this.frames.push(chunk, (frame) => this.dispatch(frame));
    } catch (error) {
      this.fail(error as Error);
    }
  };
  private readonly onError = (error: Error) => this.fail(error);
  private readonly onClose = () => this.fail(connectionClosed('the server closed the connection'));
  private readonly onEnd = () => this.socket.end();

  private constructor(
    private socket: net.Socket,
    private readonly target: ConnectionTarget,
  ) {
    this.parser.on('message', (message: LdapResponse) => (this.parsed = message));
    this.parser.on('error', (error: Error) => (this.parseError = error));
    this.attach(socket);
  }

  /** Connects (with TLS for ldaps), within the connect time-out. */
  static async open(target: ConnectionTarget): Promise<LdapConnection> {
    const socket = target.tls ? tls.connect({ ...target.tls, host: target.host, port: target.port }) : net.connect({ host: target.host, port: target.port });
    await ready(socket, target.tls ? 'secureConnect' : 'connect', target.connectTimeoutMs);
    socket.setNoDelay(true);
    return new LdapConnection(socket, target);
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** StartTLS (RFC 4511 §4.14): the extended operation, then the TLS handshake on the same socket. */
  async startTls(options: tls.ConnectionOptions): Promise<void> {
    const response = await this.send(new ExtendedRequest({ messageId: this.nextMessageId(), oid: START_TLS }));
    if (response.status !== 0) throw StatusCodeParser.parse(response);
    const plain = this.socket;
    this.detach(plain);
    const secure = tls.connect({ ...options, socket: plain });
    try {
      await ready(secure, 'secureConnect', this.target.connectTimeoutMs);
    } catch (error) {
      this.fail(error as Error);
      throw error;
    }
    this.socket = secure;
    this.attach(secure);
  }

  /**
   * Sends a request and waits for its final response. Search entries and references that come before it go to
   * `search`. The response is returned whatever its result code; callers decide what is an error.
   */
  send(request: LdapRequest, search?: SearchListener): Promise<LdapResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<LdapResponse>((resolve, reject) => {
      const pending: PendingRequest = {
        request,
        resolve,
        reject,
        search,
        timer: this.target.timeoutMs ? setTimeout(() => this.fail(new Error(`${request.constructor.name}: Operation timed out`)), this.target.timeoutMs) : undefined,
      };
      this.pending.set(request.messageId, pending);
      this.socket.write(request.write());
    });
  }

  nextMessageId(): number {
    this.lastMessageId = this.lastMessageId >= MAX_MESSAGE_ID ? 1 : this.lastMessageId + 1;
    return this.lastMessageId;
  }

  /** Unbind (which has no response) and close. */
  close(): void {
    if (this.failure) return;
    const unbind = new UnbindRequest({ messageId: this.nextMessageId() }).write();
    const socket = this.socket;
    this.fail(connectionClosed('closed by Roster'), false);
    socket.end(unbind);
    // A server that never closes its side must not keep the process alive.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
  }

  private detach(socket: net.Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('end', this.onEnd);
  }

  private dispatch(frame: Frame): void {
    if (frame.messageId === 0) {
      // An unsolicited notification (RFC 4511 §4.4): in practice the server's notice that it is disconnecting.
      this.fail(connectionClosed('the server sent a notice of disconnection'));
      return;
    }
    const pending = this.pending.get(frame.messageId);
    if (!pending) return;
    if (pending.search?.onMessage?.(frame)) return;
    if (frame.operation === OPERATION.searchEntry && pending.search) {
      decodeSearchEntry(frame, pending.search.binary, pending.search.onEntry);
      return;
    }
    const response = this.parse(frame, pending.request);
    if (frame.operation === OPERATION.searchReference) {
      pending.search?.onReference?.((response as LdapResponse & { uris: string[] }).uris);
      return;
    }
    this.pending.delete(frame.messageId);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  private parse(frame: Frame, request: LdapRequest): LdapResponse {
    this.parsed = undefined;
    this.parseError = undefined;
    this.parser.read(frame.buffer.subarray(frame.start, frame.end), new Map([[String(frame.messageId), { message: request }]]));
    if (this.parseError) throw this.parseError;
    if (!this.parsed) throw new LdapProtocolError(`message ${frame.messageId} could not be decoded`);
    return this.parsed;
  }

  /** Ends the connection: every request still waiting fails with `error`. */
  private fail(error: Error, destroy = true): void {
    if (this.failure) return;
    this.failure = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.detach(this.socket);
    this.socket.on('error', () => {});
    if (destroy) this.socket.destroy();
  }
}
