import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { writeJson, writeJsonArray } from '../../src/cli/json-stream.js';

describe('streamed JSON output', () => {
  it('writes exactly what JSON.stringify(value, null, 2) would', async () => {
    const value = {
      committed: false,
      users: { created: Array.from({ length: 3000 }, (_, i) => ({ userName: `u${i}`, emailAddresses: [`u${i}@x`], dn: null, skip: undefined })), updated: [], unchanged: 0 },
      warnings: ['a "quoted" one'],
      nested: { empty: {}, text: 'Zoë\n' },
    };
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    await writeJson(value, out);
    assert.equal(text, JSON.stringify(value, null, 2) + '\n');
  });

  it('writes exactly what JSON.stringify(value) would when compact', async () => {
    const big = Array.from({ length: 1234 }, (_, i) => (i % 7 === 0 ? undefined : { i, s: `v${i}` }));
    const value = { a: [1, { b: 'x\n"y"', c: [] }], d: {}, e: null, f: undefined, g: [{ h: undefined }], big, one: [undefined] };
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    await writeJson(value, out, { pretty: false });
    assert.equal(text, JSON.stringify(value) + '\n');
  });

  it('streams an array from an async source exactly as JSON.stringify writes it, pretty and compact, empty included', async () => {
    async function* source<T>(items: T[]): AsyncGenerator<T> {
      for (const item of items) yield item;
    }
    const collect = async (items: unknown[], pretty: boolean) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk) => (text += chunk));
      await writeJsonArray(source(items), out, { pretty });
      return text;
    };
    const users = Array.from({ length: 5000 }, (_, i) => ({ userName: `u${i}`, fullName: `Zoë "${i}"`, emailAddresses: i % 2 ? [] : [`u${i}@x`], privileges: ['login'] }));
    for (const items of [users, [], [{ nested: { deep: [1, { a: null }] } }]]) {
      assert.equal(await collect(items, true), JSON.stringify(items, null, 2) + '\n');
      assert.equal(await collect(items, false), JSON.stringify(items) + '\n');
    }
  });
});
