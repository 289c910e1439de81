// leastconn: the server with the fewest active sessions relative to its weight; round robin among ties.
import type { BalanceAlgorithm, BalanceTarget, PickContext } from './api.js';
import { dynamicWeight } from './weights.js';

/**
 * The load of a server is (active + 1) / weight, as in HAProxy, so at equal load a heavier server wins.
 * Two ways to find the least loaded server:
 * - scan: `active` is read live on every pick, one pass over the servers, nothing allocated. Used until the
 *   engine reports load changes.
 * - heap: once the engine calls loadChanged() on every session taken or released, servers sit in an indexed
 *   binary heap and pick() is O(log n). Ties go to the server picked least recently (round robin).
 * A rejected top of the heap (accept() says no) falls back to one scan for that pick.
 */
export class LeastConnAlgorithm<T extends BalanceTarget> implements BalanceAlgorithm<T> {
  readonly dynamic = true;
  private servers: readonly T[] = [];
  /** slow start makes weights fractional while a server warms */
  private weights = new Float64Array(0);
  private next = 0;

  private notified = false;
  private index = new Map<T, number>();
  private heap = new Int32Array(0); // server indexes, least loaded first
  private heapSize = 0;
  private slot = new Int32Array(0); // where each server sits in the heap, -1 if absent (weight 0)
  private lastPicked = new Float64Array(0); // pick clock per server, for round robin among ties
  private clock = 0;

  update(servers: readonly T[]): void {
    const n = servers.length;
    this.servers = servers;
    this.weights = new Float64Array(n);
    this.index = new Map();
    const previous = this.lastPickedByTarget();
    this.lastPicked = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = servers[i]!;
      this.weights[i] = dynamicWeight(s);
      this.index.set(s, i);
      this.lastPicked[i] = previous.get(s) ?? 0;
    }
    if (this.next >= n) this.next = 0;
    this.heap = new Int32Array(n);
    this.slot = new Int32Array(n).fill(-1);
    this.heapSize = 0;
    if (this.notified) this.buildHeap();
  }

  loadChanged(s: T): void {
    if (!this.notified) {
      this.notified = true;
      this.buildHeap();
      return;
    }
    const i = this.index.get(s);
    if (i === undefined) return; // a server no longer in the usable list (removal, DOWN)
    const at = this.slot[i]!;
    if (at >= 0) this.fix(at);
  }

  pick(_ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    if (this.notified) {
      if (this.heapSize === 0) return undefined;
      const top = this.heap[0]!;
      const s = this.servers[top]!;
      if (!accept || accept(s)) return this.picked(top);
    }
    const best = this.scan(accept);
    return best < 0 ? undefined : this.picked(best);
  }

  private picked(i: number): T {
    this.next = i + 1 === this.servers.length ? 0 : i + 1;
    this.lastPicked[i] = ++this.clock;
    if (this.notified && this.slot[i]! >= 0) this.fix(this.slot[i]!);
    return this.servers[i]!;
  }

  /** One pass from the server after the last pick: strictly lower load wins, so ties go round robin. */
  private scan(accept?: (s: T) => boolean): number {
    const n = this.servers.length;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const i = this.next + k < n ? this.next + k : this.next + k - n;
      if (this.weights[i] === 0) continue;
      if (best >= 0 && this.compareLoad(i, best) >= 0) continue;
      if (accept && !accept(this.servers[i]!)) continue;
      best = i;
    }
    return best;
  }

  /** <0 when a is less loaded than b (relative to weight), 0 when equal. */
  private compareLoad(a: number, b: number): number {
    return (this.servers[a]!.active + 1) * this.weights[b]! - (this.servers[b]!.active + 1) * this.weights[a]!;
  }

  private before(a: number, b: number): boolean {
    const c = this.compareLoad(a, b);
    if (c !== 0) return c < 0;
    const pa = this.lastPicked[a]!;
    const pb = this.lastPicked[b]!;
    return pa !== pb ? pa < pb : a < b;
  }

  private buildHeap(): void {
    this.heapSize = 0;
    for (let i = 0; i < this.servers.length; i++) {
      if (this.weights[i] === 0) continue;
      this.heap[this.heapSize] = i;
      this.slot[i] = this.heapSize++;
    }
    for (let at = (this.heapSize >> 1) - 1; at >= 0; at--) this.down(at);
  }

  private fix(at: number): void {
    if (!this.up(at)) this.down(at);
  }

  private up(at: number): boolean {
    let moved = false;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(this.heap[at]!, this.heap[parent]!)) break;
      this.swap(at, parent);
      at = parent;
      moved = true;
    }
    return moved;
  }

  private down(at: number): void {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= this.heapSize) return;
      const r = l + 1;
      const child = r < this.heapSize && this.before(this.heap[r]!, this.heap[l]!) ? r : l;
      if (!this.before(this.heap[child]!, this.heap[at]!)) return;
      this.swap(at, child);
      at = child;
    }
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    this.heap[a] = y;
    this.heap[b] = x;
    this.slot[y] = a;
    this.slot[x] = b;
  }

  private lastPickedByTarget(): Map<T, number> {
    const m = new Map<T, number>();
    for (const [s, i] of this.index) m.set(s, this.lastPicked[i]!);
    return m;
  }
}
