/**
 * Properties of the LDAP codec over generated input (fast-check): whatever bytes arrive, however the network splits
 * them, the receiving side yields complete messages or a typed LdapProtocolError, never anything else, never a
 * truncated entry, and terminates; everything Roster sends decodes back to what it meant.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BerReader, BerWriter, FrameReader, LdapProtocolError, SearchEntryDecoder, pagedResultsControl, decodePagedResults, type Control } from '../../src/ldap/ber.js';
import { decodeResponse, encodeAbandonRequest, encodeBindRequest, encodeExtendedRequest, encodeSearchRequest, encodeUnbindRequest } from '../../src/ldap/messages.js';
import { parseFilter, serializeFilter, type FilterNode } from '../../src/rfc/filter.js';
import { decodeUtf8Escaped, encodeUtf8Escaped } from '../../src/rfc/utf8-escape.js';
import { decodeRequest, encodeResponse, type EncodableResponse } from '../helpers/ldap-wire.js';

const RUNS = { numRuns: 300 };

/** What a connection would hand on, per message: the same dispatch as LdapConnection, without the socket. */
type Decoded = { messageId: number; kind: string; body: unknown };

function decodeChunks(chunks: readonly Buffer[], maxMessageBytes?: number): { messages: Decoded[]; buffered: number } {
  const frames = new FrameReader(maxMessageBytes);
  const entries = new SearchEntryDecoder();
  const messages: Decoded[] = [];
  for (const chunk of chunks) {
    frames.push(chunk, (frame) => {
      if (frame.operation === 0x64) {
        entries.decode(frame, new Set(['photo']), (dn, attributes, controls) =>
          messages.push({ messageId: frame.messageId, kind: 'searchEntry', body: { dn, attributes, controls } }),
        );
      } else {
        const response = decodeResponse(frame);
        messages.push({ messageId: frame.messageId, kind: response.kind, body: response });
      }
    });
  }
  return { messages, buffered: frames.bufferedBytes };
}

/** Runs `work` and accepts only success or an LdapProtocolError. */
function onlyTypedFailures<T>(work: () => T): T | LdapProtocolError {
  try {
    return work();
  } catch (error) {
    if (error instanceof LdapProtocolError) return error;
    throw error;
  }
}

const text = fc.string({ unit: 'binary', maxLength: 12 });
const attributeName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,8}$/);
const oid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 2, maxLength: 6 }).map((parts) => `1.${parts.join('.')}`);
const bytes = fc.uint8Array({ maxLength: 24 }).map((array) => Buffer.from(array));
const control: fc.Arbitrary<Control> = fc
  .record({ oid, critical: fc.boolean(), value: fc.option(bytes, { nil: undefined }) })
  .map(({ oid, critical, value }) => (value === undefined ? { oid, critical } : { oid, critical, value }));
const controls = fc.array(control, { maxLength: 2 });
const result = fc.record({ resultCode: fc.integer({ min: 0, max: 0x7fffffff }), matchedDN: text, diagnosticMessage: text, referrals: fc.array(text, { maxLength: 2 }) });

const response: fc.Arbitrary<EncodableResponse> = fc.oneof(
  fc.record({ kind: fc.constant('searchDone' as const), result }),
  fc.record({ kind: fc.constant('bind' as const), result }),
  fc.record({ kind: fc.constant('extended' as const), result, name: fc.option(oid, { nil: undefined }), value: fc.option(bytes, { nil: undefined }) }),
  fc.record({ kind: fc.constant('intermediate' as const), name: fc.option(oid, { nil: undefined }), value: fc.option(bytes, { nil: undefined }) }),
  fc.record({ kind: fc.constant('searchReference' as const), uris: fc.array(text, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    kind: fc.constant('searchEntry' as const),
    dn: text,
    attributes: fc.uniqueArray(fc.tuple(fc.constantFrom('cn', 'mail', 'photo', 'memberUid', 'description'), fc.array(text, { maxLength: 3 })), {
      selector: ([type]) => type,
      maxLength: 4,
    }),
  }),
);
const message = fc.record({ messageId: fc.integer({ min: 0, max: 0x7fffffff }), response, controls });
const stream = fc.array(message, { minLength: 1, maxLength: 6 }).map((messages) => ({ messages, bytes: messages.map((m) => encodeResponse(m.messageId, m.response, m.controls)) }));

/** What the decoder should produce for a generated message. */
function expected(m: { messageId: number; response: EncodableResponse; controls: Control[] }): Decoded {
  const r = m.response;
  if (r.kind === 'searchEntry') {
    const attributes: Record<string, unknown> = {};
    for (const [type, values] of r.attributes) {
      const decoded = values.map((value) => (type === 'photo' ? Buffer.from(value as string, 'utf8') : value));
      attributes[type] = decoded.length === 1 ? decoded[0] : decoded;
    }
    return { messageId: m.messageId, kind: r.kind, body: { dn: r.dn, attributes, controls: m.controls } };
  }
  const withResult = 'result' in r ? { result: { matchedDN: '', diagnosticMessage: '', referrals: [], ...r.result } } : {};
  const optional = (key: 'name' | 'value') => ((r.kind === 'extended' || r.kind === 'intermediate') && r[key] !== undefined ? { [key]: r[key] } : {});
  const body = { kind: r.kind, ...withResult, ...(r.kind === 'searchReference' ? { uris: r.uris } : {}), ...optional('name'), ...optional('value'), controls: m.controls };
  return { messageId: m.messageId, kind: r.kind, body };
}

describe('LDAP codec properties', () => {
  it('decodes generated responses of every type to what was encoded, split at every boundary', () => {
    fc.assert(
      fc.property(stream, ({ messages, bytes: parts }) => {
        const whole = Buffer.concat(parts);
        const want = messages.map(expected);
        assert.deepEqual(decodeChunks([whole]).messages, want);
        for (let cut = 1; cut < whole.length; cut++) assert.deepEqual(decodeChunks([whole.subarray(0, cut), whole.subarray(cut)]).messages, want);
        assert.deepEqual(decodeChunks([...whole].map((byte) => Buffer.from([byte]))).messages, want);
      }),
      { numRuns: 100 },
    );
  });

  it('never hands over a message cut short: a truncated stream yields exactly the complete ones and keeps the rest', () => {
    fc.assert(
      fc.property(stream, fc.nat(), ({ messages, bytes: parts }, where) => {
        const whole = Buffer.concat(parts);
        const cut = where % whole.length;
        const { messages: got, buffered } = decodeChunks([whole.subarray(0, cut)]);
        let complete = 0;
        for (let end = 0, index = 0; index < parts.length; index++) {
          end += parts[index]!.length;
          if (end <= cut) complete++;
        }
        assert.deepEqual(got, messages.slice(0, complete).map(expected));
        assert.equal(buffered, cut - parts.slice(0, complete).reduce((sum, part) => sum + part.length, 0));
      }),
      RUNS,
    );
  });

  it('turns random bytes into messages or a typed protocol error, and terminates', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 8 }), (random, sizes) => {
        const input = Buffer.from(random);
        const chunks: Buffer[] = [];
        for (let at = 0, index = 0; at < input.length; index++) {
          const size = sizes[index % Math.max(sizes.length, 1)] ?? input.length;
          chunks.push(input.subarray(at, at + size));
          at += size;
        }
        onlyTypedFailures(() => decodeChunks(chunks, 4096));
      }),
      { numRuns: 2000 },
    );
  });

  it('turns mutated valid streams (flipped, inserted, deleted bytes) into messages or a typed protocol error', () => {
    const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), how: fc.constantFrom('flip', 'insert', 'delete') });
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ bytes: parts }, mutations) => {
        const bytes = [...Buffer.concat(parts)];
        for (const { at, byte, how } of mutations) {
          const index = at % (bytes.length || 1);
          if (how === 'flip') bytes[index] = byte;
          else if (how === 'insert') bytes.splice(index, 0, byte);
          else bytes.splice(index, 1);
        }
        const mutated = Buffer.from(bytes);
        const whole = onlyTypedFailures(() => decodeChunks([mutated]));
        // However the bytes are split, the outcome is the same: splitting never turns an error into data or back.
        const split = onlyTypedFailures(() => decodeChunks([mutated.subarray(0, mutated.length >> 1), mutated.subarray(mutated.length >> 1)]));
        assert.equal(whole instanceof LdapProtocolError, split instanceof LdapProtocolError);
        if (!(whole instanceof LdapProtocolError) && !(split instanceof LdapProtocolError)) assert.deepEqual(whole.messages, split.messages);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Filters as src/rfc/filter.ts parses them, so parse(serialize(node)) is node. */
const filterNode: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ type: fc.constantFrom('equal' as const, 'approx' as const, 'greaterOrEqual' as const, 'lessOrEqual' as const), attribute: attributeName, value: text }),
    fc.record({ type: fc.constant('present' as const), attribute: attributeName }),
    fc
      .record({
        attribute: attributeName,
        initial: fc.option(
          text.filter((s) => s !== ''),
          { nil: undefined },
        ),
        any: fc.array(
          text.filter((s) => s !== ''),
          { maxLength: 2 },
        ),
        final: fc.option(
          text.filter((s) => s !== ''),
          { nil: undefined },
        ),
      })
      .filter((s) => s.initial !== undefined || s.any.length > 0 || s.final !== undefined)
      .map((s) => ({ type: 'substring' as const, ...s })),
    fc
      .record({ attribute: fc.option(attributeName, { nil: undefined }), dnAttributes: fc.boolean(), rule: fc.option(oid, { nil: undefined }), value: text })
      .filter((e) => e.attribute !== undefined || e.rule !== undefined)
      .map((e) => ({ type: 'extensible' as const, ...e })),
    fc.record({ type: fc.constantFrom('and' as const, 'or' as const), children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ type: fc.constant('not' as const), child: tie('node') }),
  ),
})).node;

describe('LDAP request round trips', () => {
  it('encodes any filter string to BER that decodes to the tree it was parsed into', () => {
    fc.assert(
      fc.property(filterNode, fc.constantFrom('base' as const, 'one' as const, 'sub' as const), fc.array(attributeName, { maxLength: 4 }), (node, scope, attributes) => {
        const filter = serializeFilter(node);
        const decoded = decodeRequest(encodeSearchRequest(12, { base: 'dc=x', scope, filter, attributes }));
        assert.equal(decoded.request.type, 'search');
        if (decoded.request.type !== 'search') return;
        // Absent optional parts compare equal whether the key is missing or undefined.
        const plain = (tree: FilterNode) => JSON.parse(JSON.stringify(tree)) as unknown;
        assert.deepEqual(plain(decoded.request.filter), plain(parseFilter(filter)));
        assert.deepEqual(plain(decoded.request.filter), plain(node));
        assert.deepEqual(decoded.request.attributes, attributes);
        assert.equal(decoded.request.scope, { base: 0, one: 1, sub: 2 }[scope]);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips binds, extended operations, unbinds, abandons and their controls', () => {
    const id = fc.integer({ min: 1, max: 0x7fffffff });
    fc.assert(
      fc.property(id, text, text, oid, fc.option(bytes, { nil: undefined }), controls, id, (messageId, dn, password, name, value, sent, other) => {
        assert.deepEqual(decodeRequest(encodeBindRequest(messageId, dn, password, sent)), { messageId, request: { type: 'bind', version: 3, dn, password }, controls: sent });
        assert.deepEqual(decodeRequest(encodeExtendedRequest(messageId, name, value, sent)), {
          messageId,
          request: value === undefined ? { type: 'extended', oid: name } : { type: 'extended', oid: name, value },
          controls: sent,
        });
        assert.deepEqual(decodeRequest(encodeUnbindRequest(messageId)), { messageId, request: { type: 'unbind' }, controls: [] });
        assert.deepEqual(decodeRequest(encodeAbandonRequest(messageId, other)), { messageId, request: { type: 'abandon', abandonId: other }, controls: [] });
      }),
      RUNS,
    );
  });

  it('round-trips BER integers, strings and the paged results control value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.nat(0x7fffffff), bytes, (integer, size, cookie) => {
        const writer = new BerWriter(4);
        writer
          .startSequence()
          .writeInteger(integer)
          .writeOctetString(cookie)
          .writeBoolean(integer < 0)
          .end();
        const sequence = new BerReader(writer.toBuffer()).readSequence();
        assert.equal(sequence.readInteger(), integer);
        assert.deepEqual(Buffer.from(sequence.readOctetString()), cookie);
        assert.equal(sequence.readBoolean(), integer < 0);
        assert.deepEqual(decodePagedResults(pagedResultsControl({ size, cookie })), { size, cookie });
      }),
      RUNS,
    );
  });
});

describe('binary filter values', () => {
  it('keeps any bytes through decode and encode, and decodes valid UTF-8 as TextDecoder does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), (random, textValue) => {
        assert.deepEqual(encodeUtf8Escaped(decodeUtf8Escaped(random)), Buffer.from(random));
        const utf8 = Buffer.from(textValue, 'utf8');
        assert.equal(decodeUtf8Escaped(utf8), new TextDecoder().decode(utf8));
      }),
      { numRuns: 1000 },
    );
  });

  it('sends the bytes an escaped filter value spells, also after a parse and serialize round', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (random) => {
        const filter = `(objectGUID=${[...random].map((byte) => '\\' + byte.toString(16).padStart(2, '0')).join('')})`;
        for (const text of [filter, serializeFilter(parseFilter(filter))]) {
          const op = new BerReader(encodeSearchRequest(1, { base: '', scope: 'base', filter: text, attributes: [] })).readSequence();
          op.readInteger();
          const search = op.readSequence(0x63);
          for (let field = 0; field < 6; field++) search.readElement();
          const assertion = search.readSequence(0xa3);
          assert.equal(assertion.readString(), 'objectGUID');
          assert.deepEqual(Buffer.from(assertion.readOctetString()), Buffer.from(random));
        }
      }),
      RUNS,
    );
  });
});
