// memberlist's TransmitLimitedQueue: broadcasts piggy-back on outgoing packets a limited number of times
// (retransmitMult × ceil(log10(N+1))); a newer broadcast about the same name replaces the queued one;
// the least-transmitted go first.
import type { BroadcastQueueLike } from './api.js';
import { retransmitLimit } from './config.js';

interface Item {
  name?: string;
  unique?: boolean;
  message: Buffer;
  finished?: () => void;
  transmits: number;
  id: number;
}

export class BroadcastQueue implements BroadcastQueueLike {
  private items: Item[] = [];
  private nextId = 0;

  constructor(private readonly opts: { retransmitMult: number; numNodes: () => number }) {}

  queue(b: { name?: string; unique?: boolean; message: Buffer; finished?: () => void }): void {
    if (b.name !== undefined && !b.unique) {
      this.items = this.items.filter((it) => {
        if (it.name !== b.name) return true;
        it.finished?.();
        return false;
      });
    }
    this.items.push({ ...b, transmits: 0, id: this.nextId++ });
  }

  getBroadcasts(overhead: number, limit: number): Buffer[] {
    if (this.items.length === 0) return [];
    const max = retransmitLimit(this.opts.retransmitMult, this.opts.numNodes());
    // Fewest transmits first, then newest first.
    this.items.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    const out: Buffer[] = [];
    let used = 0;
    for (const it of [...this.items]) {
      const cost = it.message.length + overhead;
      if (used + cost > limit) continue;
      used += cost;
      out.push(it.message);
      it.transmits++;
      if (it.transmits >= max) {
        this.items.splice(this.items.indexOf(it), 1);
        it.finished?.();
      }
    }
    return out;
  }

  numQueued(): number {
    return this.items.length;
  }

  prune(maxRetain: number): void {
    if (this.items.length <= maxRetain) return;
    this.items.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    for (const it of this.items.splice(maxRetain)) it.finished?.();
  }

  /** Resolves when nothing is queued any more (leave waits for its message to go out). */
  drained(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const tick = () => {
        if (this.items.length === 0) return resolve(true);
        if (Date.now() > deadline) return resolve(false);
        setTimeout(tick, 20).unref();
      };
      tick();
    });
  }
}
