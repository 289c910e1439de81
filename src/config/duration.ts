// Durations in HAProxy's units: us, ms, s, m, h, d. A bare number means milliseconds.
// Returns milliseconds (fractional for microseconds), or an error message.

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d)?\s*$/;

export const DURATION_EXPECTED = 'a duration such as 500ms, 2s, 1m (units us ms s m h d; a bare number is ms)';

export function parseDuration(value: unknown): number | { error: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value : { error: `invalid duration ${value}` };
  }
  if (typeof value !== 'string') return { error: `invalid duration ${JSON.stringify(value)}` };
  const m = DURATION.exec(value);
  if (!m) return { error: `invalid duration '${value}'` };
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

/** Parse or throw; for code paths where the value was already validated. */
export function durationMs(value: unknown): number {
  const r = parseDuration(value);
  if (typeof r !== 'number') throw new Error(r.error);
  return r;
}

/** Human form used in logs and CLI output: 1500 → "1.5s", 200 → "200ms". */
export function formatDuration(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)}s`;
  if (ms >= 1) return `${+ms.toFixed(3)}ms`;
  return `${Math.round(ms * 1000)}us`;
}
