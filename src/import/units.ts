// HAProxy's time values (a bare number is milliseconds; us ms s m h d) as lbagent writes them.
import { parseDuration } from '../config/index.js';

/** The value in lbagent's duration syntax, or undefined when it is not one. */
export function durationText(v: string): string | number | undefined {
  const ms = parseDuration(v);
  if (typeof ms !== 'number') return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}
