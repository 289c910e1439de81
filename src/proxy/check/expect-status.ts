// `http-check expect status` lists: "200", "200,204", "200-399", "200-299,304".

export type StatusMatcher = (code: number) => boolean;

/** Default when no status is given: 2xx and 3xx pass, as HAProxy's httpchk. */
export const DEFAULT_STATUS: StatusMatcher = (code) => code >= 200 && code <= 399;

export const STATUS_EXPECTED = 'a status, a list or a range, e.g. 200, 200,204 or 200-399';

export function parseExpectStatus(spec: string | undefined): StatusMatcher | { error: string; expected: string } {
  if (spec === undefined || spec.trim() === '') return DEFAULT_STATUS;
  const ranges: Array<[number, number]> = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (!m) return { error: `invalid status '${part.trim()}' in '${spec}'`, expected: STATUS_EXPECTED };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599 || hi < lo) return { error: `invalid status range '${part.trim()}'`, expected: STATUS_EXPECTED };
    ranges.push([lo, hi]);
  }
  return (code) => ranges.some(([lo, hi]) => code >= lo && code <= hi);
}
