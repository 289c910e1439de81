// random(N): power of N choices. N weighted random draws; the least loaded of them wins.
import type { BalanceAlgorithm, BalanceTarget, PickContext } from './api.js';
import { dynamicWeight } from './weights.js';

export class RandomAlgorithm<T extends BalanceTarget> implements BalanceAlgorithm<T> {
  readonly dynamic = true;
  private servers: readonly T[] = [];
  /** cumulative weights: server i covers [cumulative[i-1], cumulative[i]) */
  private cumulative = new Float64Array(0);
  private weights = new Float64Array(0);
  private total = 0;

  constructor(
    private readonly draws: number,
    private readonly random: () => number = Math.random,
  ) {}

  update(servers: readonly T[]): void {
    this.servers = servers;
    this.cumulative = new Float64Array(servers.length);
    this.weights = new Float64Array(servers.length);
    let sum = 0;
    for (let i = 0; i < servers.length; i++) {
      const w = dynamicWeight(servers[i]!);
      this.weights[i] = w;
      sum += w;
      this.cumulative[i] = sum;
    }
    this.total = sum;
  }

  private draw(): number {
    const r = this.random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  pick(_ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    if (this.total === 0) return undefined;
    let best = -1;
    let got = 0;
    // rejected draws are retried a few times before falling back to a full scan
    for (let attempt = 0; got < this.draws && attempt < this.draws * 4; attempt++) {
      const i = this.draw();
      const s = this.servers[i]!;
      if (accept && !accept(s)) continue;
      got++;
      if (best < 0 || this.lighter(i, best)) best = i;
    }
    if (best < 0 && accept) {
      for (let i = 0; i < this.servers.length; i++) {
        if (this.weights[i] === 0 || (best >= 0 && !this.lighter(i, best))) continue;
        if (accept(this.servers[i]!)) best = i;
      }
    }
    return best < 0 ? undefined : this.servers[best];
  }

  /** (active + 1) / weight of a is lower than b's */
  private lighter(a: number, b: number): boolean {
    return (this.servers[a]!.active + 1) * this.weights[b]! < (this.servers[b]!.active + 1) * this.weights[a]!;
  }
}
