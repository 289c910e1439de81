// Normalising server weights once per update(), so pick() only reads typed arrays.
import type { BalanceTarget } from './api.js';
import { SLOWSTART_STEPS } from './slowstart.js';

/** Configured integer weight 0..256; anything not a finite number counts as 0 (never picked). */
export function effectiveWeight(t: BalanceTarget): number {
  const w = t.weight;
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(256, Math.round(w));
}

/** The weight a dynamic algorithm uses: `eweight` while slow start ramps it (a fraction of a unit allowed), else `weight`. */
export function dynamicWeight(t: BalanceTarget): number {
  const e = t.eweight;
  if (e === undefined || e === t.weight) return effectiveWeight(t);
  if (!Number.isFinite(e) || e <= 0 || effectiveWeight(t) === 0) return 0;
  return Math.min(256, e);
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Longest roundrobin schedule a slow start may stretch a tier to (weights scaled to keep ramp fractions). */
export const MAX_SCALED_TOTAL = 1 << 16;

/**
 * Integer weights for a schedule. Ramping (fractional) weights are all scaled by the number of ramp steps, so a
 * weight-1 server warming at 1/20 gets 1 turn where a warm one gets 20, within MAX_SCALED_TOTAL turns.
 */
export function integerWeights(weights: readonly number[]): Uint32Array {
  const out = new Uint32Array(weights.length);
  if (weights.every(Number.isInteger)) {
    weights.forEach((w, i) => (out[i] = w));
    return out;
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const scale = Math.max(1, Math.min(SLOWSTART_STEPS, Math.floor(MAX_SCALED_TOTAL / Math.max(1, sum))));
  weights.forEach((w, i) => (out[i] = w > 0 ? Math.max(1, Math.round(w * scale)) : 0));
  return out;
}

/**
 * Weights of the servers divided by their common divisor (shorter schedules, same proportions); `dynamic`
 * follows slow start's eweight.
 */
export function reducedWeights(servers: readonly BalanceTarget[], dynamic = false): Uint32Array {
  const w = integerWeights(servers.map(dynamic ? dynamicWeight : effectiveWeight));
  let g = 0;
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) g = gcd(g, w[i]!);
  if (g > 1) for (let i = 0; i < w.length; i++) w[i] = w[i]! / g;
  return w;
}
