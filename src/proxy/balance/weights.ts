// Normalising server weights once per update(), so pick() only reads typed arrays.
import type { BalanceTarget } from './api.js';

/** Effective integer weight 0..256; anything not a finite number counts as 0 (never picked). */
export function effectiveWeight(t: BalanceTarget): number {
  const w = t.weight;
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(256, Math.round(w));
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Weights of the servers divided by their common divisor (shorter schedules, same proportions). */
export function reducedWeights(servers: readonly BalanceTarget[]): Uint32Array {
  const w = new Uint32Array(servers.length);
  let g = 0;
  for (let i = 0; i < servers.length; i++) {
    w[i] = effectiveWeight(servers[i]!);
    if (w[i]! > 0) g = gcd(g, w[i]!);
  }
  if (g > 1) for (let i = 0; i < w.length; i++) w[i] = w[i]! / g;
  return w;
}
