import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH, jsonDepth } from '../../src/api/input-bounds.js';
import { sqliteModuleFor } from '../../src/store/sqlite-driver.js';
import { MAX_FILTER_DEPTH, parseFilter } from '../../src/rfc/filter.js';

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** A pseudo-random JSON value (deterministic per seed) with strings full of brackets, quotes and backslashes. */
function randomJson(seed: number): unknown {
  let state = seed;
  const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2147483648), state % n);
  const build = (level: number): unknown => {
    const kind = level > 6 ? next(3) : next(5);
    if (kind === 0) return next(100);
    if (kind === 1) return Array.from({ length: next(4) + 1 }, () => '[{"\\}]'[next(7)]).join('');
    if (kind === 2) return null;
    if (kind === 3) return Array.from({ length: next(3) }, () => build(level + 1));
    return Object.fromEntries(Array.from({ length: next(3) }, (_, i) => [`k${i}[`, build(level + 1)]));
  };
  return build(0);
}

describe('input bounds', () => {
  it('measures JSON nesting without parsing, brackets inside strings not counted', () => {
    assert.equal(jsonDepth(String.raw`{"a":"[[[{{{\"]]]","b":[1,{"c":[]}]}`), 4);
    for (let seed = 1; seed <= 300; seed++) {
      const value = randomJson(seed);
      assert.equal(jsonDepth(JSON.stringify(value)), depthOf(value), JSON.stringify(value));
    }
    assert.equal(jsonDepth('['.repeat(100_000), MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1, 'stops counting past the limit');
  });

  it('refuses filters nested deeper than the limit, with a clear reason', () => {
    const nested = (levels: number) => '(&'.repeat(levels - 1) + '(uid=x)' + ')'.repeat(levels - 1);
    assert.doesNotThrow(() => parseFilter(nested(MAX_FILTER_DEPTH)));
    assert.throws(() => parseFilter(nested(MAX_FILTER_DEPTH + 1)), /nested deeper than 64 levels/);
    assert.throws(() => parseFilter(nested(20_000)), /nested deeper than 64 levels/);
  });

  it('loads better-sqlite3 13 (Node-API 10) on Node 22 and later, 12 on Node 20', () => {
    assert.equal(sqliteModuleFor('20.19.0'), 'better-sqlite3');
    assert.equal(sqliteModuleFor('22.0.0'), 'better-sqlite3-napi');
    assert.equal(sqliteModuleFor('24.21.0'), 'better-sqlite3-napi');
  });
});
