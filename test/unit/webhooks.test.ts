import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { RETRY_PERIOD_MS, afterFailure, matchesPatterns, retryDelayMs, signature } from '../../src/webhooks/signing.js';

describe('webhook signing, patterns and retry schedule', () => {
  it('signs the raw body with HMAC-SHA256 as sha256=<hex>', () => {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert.equal(signature('Jefe', 'what do ya want for nothing?'), 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    for (let sample = 0; sample < 50; sample++) {
      const body = randomBytes(sample * 7).toString('latin1');
      const secret = randomBytes(16 + sample).toString('base64');
      assert.equal(signature(secret, body), `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    }
  });

  it('matches "*", exact types and prefixes; no patterns means every event', () => {
    assert.equal(matchesPatterns([], 'user.created'), true);
    assert.equal(matchesPatterns(['*'], 'sync.failed'), true);
    assert.equal(matchesPatterns(['user.*'], 'user.deleted'), true);
    assert.equal(matchesPatterns(['user.*'], 'sync.committed'), false);
    assert.equal(matchesPatterns(['sync.refused'], 'sync.refused'), true);
    assert.equal(matchesPatterns(['sync.refused'], 'sync.failed'), false);
    assert.equal(matchesPatterns(['user.*'], 'users.created'), false);
  });

  it('retries with doubling waits up to an hour, for at least 24 hours, then gives up', () => {
    assert.deepEqual([1, 2, 3, 4, 12, 13, 40].map(retryDelayMs), [1000, 2000, 4000, 8000, 2_048_000, 3_600_000, 3_600_000]);
    assert.ok(RETRY_PERIOD_MS >= 24 * 3_600_000);
    // Simulate a receiver that never answers: the last attempt comes at least 24 h after the first failure.
    const start = 0;
    let now = start;
    let failures = 1;
    for (let decision = afterFailure(failures, start, now); decision.kind === 'retry'; decision = afterFailure(++failures, start, now)) now = decision.at;
    assert.ok(now - start >= 24 * 3_600_000, `gave up after ${now - start} ms`);
    assert.ok(failures < 60, `${failures} attempts`);
  });
});
