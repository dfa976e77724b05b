/**
 * Durations in settings ("0", "10s", "90m", "12h", "30d"): a whole number and one unit, or "0" for none.
 * Kept to one unit so a value reads at a glance and cannot be ambiguous ("1m" is minutes, never months).
 */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = /^(?:0|[1-9]\d{0,8}[smhd])$/;

/** Milliseconds of a duration that matched DURATION_PATTERN. */
export function durationMs(text: string): number {
  if (text === '0') return 0;
  const unit = text.slice(-1) as keyof typeof UNIT_MS;
  return Number(text.slice(0, -1)) * UNIT_MS[unit];
}
