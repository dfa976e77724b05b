/**
 * Bounds on what reaches the server before anyone is authenticated (issue #12): JSON bodies nested deeper than
 * MAX_JSON_DEPTH are refused before they are parsed (recursive consumers, such as validation and logging, could
 * overflow the stack: a 500), and the login forms take small bodies only.
 */
import type { FastifyInstance } from 'fastify';
import { RosterError } from '../errors.js';

/** Roster's deepest document (directory settings) nests 3 levels; 32 leaves room and stops stack exhaustion. */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of objects and arrays in JSON text, found without parsing it (strings are skipped). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}

export function registerDepthLimitedJson(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new RosterError('INPUT_INVALID', `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
      return;
    }
    parse(request, text, done);
  });
}
