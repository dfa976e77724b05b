/** A webhook receiver for tests: a real HTTP server on a loopback port that records every request it gets. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  event: string;
  delivery: string;
  signature: string;
  body: string;
  /** Whether the signature is the HMAC-SHA256 of the raw body with the secret. */
  signed: boolean;
  /** The status the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedDelivery[];
  /** The deliveries answered 2xx. */
  accepted(): ReceivedDelivery[];
  /** Decides the answer to each request (default 204). */
  answer: (request: ReceivedDelivery) => number;
  /** Milliseconds to wait before answering (a slow receiver). */
  delayMs: number;
  /** Stops listening (connections are refused) until start() again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

function verify(secret: string, body: string, header: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startReceiver(secret: string): Promise<Receiver> {
  let server: Server | undefined;
  const receiver: Receiver = {
    url: '',
    port: 0,
    received: [],
    accepted: () => receiver.received.filter((delivery) => delivery.status >= 200 && delivery.status < 300),
    answer: () => 204,
    delayMs: 0,
    async start() {
      server = createServer((request, response) => {
        void bodyOf(request).then((body) => {
          const header = (name: string) => String(request.headers[name] ?? '');
          const delivery = {
            event: header('x-roster-event'),
            delivery: header('x-roster-delivery'),
            signature: header('x-roster-signature'),
            body,
            signed: verify(secret, body, header('x-roster-signature')),
            status: 0,
          };
          delivery.status = receiver.answer(delivery);
          receiver.received.push(delivery);
          setTimeout(() => response.writeHead(delivery.status).end(), receiver.delayMs);
        });
      });
      await new Promise<void>((resolve) => server!.listen(receiver.port, '127.0.0.1', resolve));
      receiver.port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    close: () => receiver.stop(),
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`receiver: timed out; got ${receiver.received.length} requests`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  await receiver.start();
  return receiver;
}
