// leastconn: the server with the fewest active sessions relative to its weight; round robin among ties.
import type { Balancer, BalanceTarget, PickContext } from './api.js';
import { effectiveWeight } from './weights.js';

/**
 * The load of a server is (active + 1) / weight, as in HAProxy, so at equal load a heavier server wins.
 * `active` changes on every session and is read live from the targets; weights are read on update().
 * pick() is one pass over the usable servers with no allocation (sessions move too often to keep a tree
 * sorted without the engine telling us about each one).
 */
export class LeastConnBalancer<T extends BalanceTarget> implements Balancer<T> {
  private servers: readonly T[] = [];
  private weights = new Uint32Array(0);
  private next = 0;

  update(servers: readonly T[]): void {
    this.servers = servers;
    this.weights = new Uint32Array(servers.length);
    for (let i = 0; i < servers.length; i++) this.weights[i] = effectiveWeight(servers[i]!);
    if (this.next >= servers.length) this.next = 0;
  }

  pick(_ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    const n = this.servers.length;
    let best = -1;
    let bestLoad = 0; // active + 1 of the best so far
    let bestWeight = 1;
    for (let k = 0; k < n; k++) {
      const i = this.next + k < n ? this.next + k : this.next + k - n;
      const w = this.weights[i]!;
      if (w === 0) continue;
      const s = this.servers[i]!;
      const load = s.active + 1;
      // strictly lower load only: among equals, the first one after the last pick wins (round robin)
      if (best >= 0 && load * bestWeight >= bestLoad * w) continue;
      if (accept && !accept(s)) continue;
      best = i;
      bestLoad = load;
      bestWeight = w;
    }
    if (best < 0) return undefined;
    this.next = best + 1 === n ? 0 : best + 1;
    return this.servers[best];
  }
}
