/** The pure parts of webhook delivery: signatures, event patterns, the retry schedule. */
import { createHmac } from 'node:crypto';

/** `X-Roster-Signature`: sha256=<hex HMAC-SHA256 of the raw body> (the GitHub convention receivers know). */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether an event type matches a webhook's patterns ("*", "user.*", "sync.refused"); no patterns = every event. */
export function matchesPatterns(patterns: readonly string[], type: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}

const FIRST_RETRY_MS = 1000;
const LONGEST_WAIT_MS = 3_600_000;
/** How long a failing event is retried before it is set aside for the administrator (the issue: at least 24 h). */
export const RETRY_PERIOD_MS = 25 * 3_600_000;

/** The wait before attempt `failures + 1`: 1 s, 2 s, 4 s, ... doubling up to an hour. */
export function retryDelayMs(failures: number): number {
  return Math.min(LONGEST_WAIT_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

export type AttemptDecision = { kind: 'retry'; at: number } | { kind: 'give-up' };

/** After a failed attempt: when to try again, or give up once the first failure is RETRY_PERIOD_MS old. */
export function afterFailure(failures: number, firstFailureAt: number, now: number): AttemptDecision {
  if (now - firstFailureAt >= RETRY_PERIOD_MS) return { kind: 'give-up' };
  return { kind: 'retry', at: now + retryDelayMs(failures) };
}
