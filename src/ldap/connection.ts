/**
 * One LDAP connection: the socket, StartTLS, message ids, time-outs, and the stream of responses, all through
 * Roster's codec (frame.ts cuts messages, entry-decoder.ts decodes search entries, messages.ts the rest).
 *
 * It never reconnects by itself: a connection that dropped stays dropped, and whoever holds it opens a new one (with
 * StartTLS and a bind). Any protocol error (malformed or oversized message) ends the connection and fails every
 * request waiting on it: after a framing error nothing later in the stream can be trusted.
 */
import net from 'node:net';
import tls from 'node:tls';
import { SearchEntryDecoder, type EntryHandler } from './entry-decoder.js';
import {
  LdapAbandonedError,
  LdapConnectTimeoutError,
  LdapConnectionClosedError,
  LdapProtocolError,
  LdapResultError,
  LdapTimeoutError,
  LdapTlsError,
  type Control,
} from './failures.js';
import { FrameReader, MAX_MESSAGE_BYTES, type Frame } from './frame.js';
import { EXTENDED_OID, OPERATION, decodeResponse, encodeAbandonRequest, encodeExtendedRequest, encodeUnbindRequest, type LdapResponse } from './messages.js';

export type { LdapResponse } from './messages.js';
export type FinalResponse = Exclude<LdapResponse, { kind: 'intermediate' | 'searchReference' }>;
export type IntermediateResponse = Extract<LdapResponse, { kind: 'intermediate' }>;

const MAX_MESSAGE_ID = 0x7fffffff;

export interface ConnectionTarget {
  host: string;
  port: number;
  /** TLS from the first byte (ldaps); StartTLS is a separate step, see startTls(). */
  tls?: tls.ConnectionOptions;
  /** How long one request may wait for its response; 0 waits forever. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Bound on one received message (frame.ts); default MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
}

/** What arrives before a request's final response: search entries and references, intermediate responses. */
export interface SearchListener {
  /** Entry controls (RFC 4533 sync state) are the third argument; a shared empty list when there are none. */
  onEntry: EntryHandler;
  onReference?(uris: string[], controls: readonly Control[]): void;
  /** IntermediateResponse (RFC 4511 §4.13), e.g. RFC 4533 syncInfo. Without a handler they are ignored. */
  onIntermediate?(response: IntermediateResponse): void;
  /** Lower-cased names of the attributes whose values are kept as bytes. */
  binary: ReadonlySet<string>;
}

/** A request ready to go: its id, its encoding and a name for errors ("search", "bind"). */
export interface OutgoingRequest {
  readonly messageId: number;
  readonly bytes: Buffer;
  readonly operation: string;
  /** Overrides the connection's time-out for this request (0 = wait forever, e.g. a persistent search). */
  readonly timeoutMs?: number;
}

interface PendingRequest {
  readonly operation: string;
  resolve(response: FinalResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  listener: SearchListener | undefined;
}

/** Waits for a socket's connect (or TLS handshake) event; on an error or the time-out it is destroyed. */
function ready(socket: net.Socket, event: 'connect' | 'secureConnect', timeoutMs: number, step: 'connect' | 'TLS handshake' | 'StartTLS'): Promise<void> {
  return new Promise((resolve, reject) => {
    // StartTLS runs on a socket already connected; ldaps learns it from the TLS socket's 'connect' event.
    let connected = step === 'StartTLS';
    const onTcp = () => (connected = true);
    const failed = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      // Once TCP stood, a failure during the handshake is a TLS failure, whatever its code (ECONNRESET included).
      reject(step !== 'connect' && connected && !(error instanceof LdapConnectTimeoutError) ? new LdapTlsError(step, error) : error);
    };
    const timer = timeoutMs ? setTimeout(() => failed(new LdapConnectTimeoutError(step, timeoutMs)), timeoutMs) : undefined;
    if (event === 'secureConnect') socket.once('connect', onTcp);
    socket.once('error', failed);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeListener('error', failed);
      socket.removeListener('connect', onTcp);
      resolve();
    });
  });
}

export class LdapConnection {
  private readonly frames: FrameReader;
  private readonly entries = new SearchEntryDecoder();
  private readonly pending = new Map<number, PendingRequest>();
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
  private readonly onClose = () => this.fail(new LdapConnectionClosedError('server-closed'));
  private readonly onEnd = () => this.socket.end();

  private constructor(
    private socket: net.Socket,
    private readonly target: ConnectionTarget,
  ) {
    this.frames = new FrameReader(target.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    this.attach(socket);
  }

  /** Connects (with TLS for ldaps), within the connect time-out. */
  static async open(target: ConnectionTarget): Promise<LdapConnection> {
    const socket = target.tls ? tls.connect({ ...target.tls, host: target.host, port: target.port }) : net.connect({ host: target.host, port: target.port });
    await ready(socket, target.tls ? 'secureConnect' : 'connect', target.connectTimeoutMs, target.tls ? 'TLS handshake' : 'connect');
    socket.setNoDelay(true);
    return new LdapConnection(socket, target);
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** StartTLS (RFC 4511 §4.14): the extended operation, then the TLS handshake on the same socket. */
  async startTls(options: tls.ConnectionOptions): Promise<void> {
    const messageId = this.nextMessageId();
    const response = await this.send({ messageId, bytes: encodeExtendedRequest(messageId, EXTENDED_OID.startTls), operation: 'StartTLS' });
    if (response.result.resultCode !== 0) throw new LdapTlsError('StartTLS', new LdapResultError('StartTLS', response.result, response.controls));
    const plain = this.socket;
    this.detach(plain);
    const secure = tls.connect({ ...options, socket: plain });
    try {
      await ready(secure, 'secureConnect', this.target.connectTimeoutMs, 'StartTLS');
    } catch (error) {
      this.fail(error as Error);
      throw error;
    }
    this.socket = secure;
    this.attach(secure);
  }

  /**
   * Sends a request and waits for its final response (BindResponse, SearchResultDone, ExtendedResponse), whatever
   * its result code: callers decide what is an error. Entries, references and intermediate responses that come
   * before it go to `listener`.
   */
  send(request: OutgoingRequest, listener?: SearchListener): Promise<FinalResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FinalResponse>((resolve, reject) => {
      const timeoutMs = request.timeoutMs ?? this.target.timeoutMs;
      const pending: PendingRequest = {
        operation: request.operation,
        resolve,
        reject,
        listener,
        timer: timeoutMs ? setTimeout(() => this.fail(new LdapTimeoutError(request.operation, timeoutMs)), timeoutMs) : undefined,
      };
      this.pending.set(request.messageId, pending);
      this.socket.write(request.bytes);
    });
  }

  /** Abandons a request (RFC 4511 §4.11; no response): its promise fails with LdapAbandonedError. */
  abandon(messageId: number): void {
    const pending = this.pending.get(messageId);
    if (!pending || this.failure) return;
    this.pending.delete(messageId);
    clearTimeout(pending.timer);
    this.socket.write(encodeAbandonRequest(this.nextMessageId(), messageId));
    pending.reject(new LdapAbandonedError(messageId));
  }

  nextMessageId(): number {
    this.lastMessageId = this.lastMessageId >= MAX_MESSAGE_ID ? 1 : this.lastMessageId + 1;
    return this.lastMessageId;
  }

  /** Unbind (which has no response) and close. */
  close(): void {
    if (this.failure) return;
    const unbind = encodeUnbindRequest(this.nextMessageId());
    const socket = this.socket;
    this.fail(new LdapConnectionClosedError('closed-by-roster'), false);
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
    if (frame.messageId === 0) return this.unsolicited(frame);
    const pending = this.pending.get(frame.messageId);
    // A response to an abandoned request (the server may have sent it before the abandon arrived).
    if (!pending) return;
    if (frame.operation === OPERATION.searchEntry) {
      if (!pending.listener) throw new LdapProtocolError(`search entry in answer to a ${pending.operation}`);
      this.entries.decode(frame, pending.listener.binary, pending.listener.onEntry);
      return;
    }
    const response = decodeResponse(frame);
    if (response.kind === 'searchReference') {
      if (!pending.listener) throw new LdapProtocolError(`search reference in answer to a ${pending.operation}`);
      pending.listener.onReference?.([...response.uris], response.controls);
      return;
    }
    if (response.kind === 'intermediate') {
      pending.listener?.onIntermediate?.(response);
      return;
    }
    this.pending.delete(frame.messageId);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  /**
   * Unsolicited notifications (RFC 4511 §4.4) carry messageID 0. The only one defined, the notice of disconnection
   * (§4.4.1), means the server is closing: every request fails with the server's reason. Others are ignored, as
   * §4.4 allows for notifications a client does not recognize.
   */
  private unsolicited(frame: Frame): void {
    const notice = decodeResponse(frame);
    if (notice.kind !== 'extended') throw new LdapProtocolError(`message 0 with operation 0x${frame.operation.toString(16)}`);
    if (notice.name !== undefined && notice.name !== EXTENDED_OID.noticeOfDisconnection) return;
    const { resultCode, diagnosticMessage } = notice.result;
    this.fail(new LdapConnectionClosedError('notice-of-disconnection', `result code ${resultCode}${diagnosticMessage ? `: ${diagnosticMessage}` : ''}`));
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
