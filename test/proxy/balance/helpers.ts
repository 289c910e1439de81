// Targets and counting helpers shared by the balancer tests.
import type { BalanceAlgorithm, BalanceTarget, PickContext } from '../../../src/proxy/balance/api.js';

export interface Srv extends BalanceTarget {
  name: string;
  weight: number;
  active: number;
}

export function servers(weights: Record<string, number>): Srv[] {
  return Object.entries(weights).map(([name, weight]) => ({ name, weight, active: 0 }));
}

export function countPicks(b: BalanceAlgorithm<Srv>, n: number, ctx: (i: number) => PickContext = () => ({ clientIp: '10.0.0.1' })): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = b.pick(ctx(i));
    if (!s) throw new Error('no server picked');
    counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  }
  return counts;
}

/** Every server's share is within `tolerance` (relative) of weight / total. */
export function assertShares(counts: Map<string, number>, pool: Srv[], tolerance: number): void {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const weightSum = pool.reduce((a, s) => a + s.weight, 0);
  for (const s of pool) {
    const expected = s.weight / weightSum;
    const got = (counts.get(s.name) ?? 0) / total;
    if (Math.abs(got - expected) > tolerance * expected + (s.weight === 0 ? 0 : 0)) {
      throw new Error(`${s.name}: share ${got.toFixed(4)}, expected ${expected.toFixed(4)} ±${(tolerance * 100).toFixed(0)}%`);
    }
  }
}

export function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}
