// Lifeguard suspicion: the timeout starts at max and shrinks towards min as independent peers confirm the
// suspicion (memberlist's suspicion.go): timeout = max - (log(c+1)/log(k+1))·(max-min), never below min.

/** How many confirmations shrink the timer all the way to min: SuspicionMult-2, at most n-2, at least 0. */
export function expectedConfirmations(suspicionMult: number, numNodes: number): number {
  return Math.max(0, Math.min(suspicionMult - 2, numNodes - 2));
}

export function suspicionRemaining(confirmations: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs;
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  return Math.max(minMs, Math.floor(maxMs - frac * (maxMs - minMs)));
}

/** A running suspicion about one node; `confirm(from)` counts each confirming peer once. */
export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(from: string, private readonly k: number, private readonly minMs: number, private readonly maxMs: number, private readonly onTimeout: (confirmations: number) => void) {
    this.confirmedBy.add(from); // the accuser itself does not count as a confirmation
    this.timer = setTimeout(() => this.onTimeout(0), k < 1 ? minMs : maxMs);
    this.timer.unref();
  }

  /** Returns true when `from` is a new confirmation (then the suspect message is worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.confirmedBy.size - 1 >= this.k || this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    const c = this.confirmedBy.size - 1;
    const left = suspicionRemaining(c, this.k, this.minMs, this.maxMs) - (Date.now() - this.started);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(c), Math.max(0, left));
    this.timer.unref();
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
