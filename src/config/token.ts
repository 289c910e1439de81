// Secrets compared in constant time: both sides are hashed to fixed-length digests first, so neither the
// content nor the length of the expected token leaks through how long a wrong guess takes.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

/** True when `given` is exactly `expected`. */
export function sameToken(given: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}
