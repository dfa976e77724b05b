/** Paged lists in the API (DESIGN §5): `X-Total-Count` and an RFC 8288 `Link` header to the next page. */
import type { FastifyReply } from 'fastify';

/** The query string parameters a page is asked with; `after` is replaced by the next page's. */
export type PageQuery = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Sets the paging headers. The link is a relative reference (RFC 8288 §3.1: resolved against the request's URL),
 * so it stays right behind a proxy that rewrites the host; it carries every filter of the request.
 */
export function sendPageHeaders(reply: FastifyReply, path: string, query: PageQuery, total: number, next: string | undefined): void {
  reply.header('x-total-count', String(total));
  if (next === undefined) return;
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '' && name !== 'after') parameters.set(name, String(value));
  parameters.set('after', next);
  reply.header('link', `<${path}?${parameters.toString()}>; rel="next"`);
}

/** Pieces of text gathered into chunks of ~64 KB: one write per change of a 100,000-change run would be 100,000. */
export async function* chunked(pieces: AsyncIterable<string>, size = 1 << 16): AsyncGenerator<string> {
  let buffer = '';
  for await (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= size) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer !== '') yield buffer;
}
