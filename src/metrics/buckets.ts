// A latency distribution kept as plain numbers (bucket counts and a sum, in milliseconds): recording is a few
// comparisons and two additions on the hot path, and the counts travel as they are (a worker's, summed in the
// control process) before prom-client exposes them as a histogram in seconds at scrape time.

/** Upper bounds in ms, as Prometheus' usual latency buckets (1 ms to 60 s); timers are whole milliseconds. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

export class Buckets {
  /** per bucket, not cumulative; the last one counts what is above every bound (+Inf) */
  counts: number[];
  sum = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BOUNDS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  record(ms: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && ms > b[i]!) i++;
    this.counts[i]!++;
    this.sum += ms;
  }

  get count(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /** The plain numbers, to send (and sum) elsewhere. */
  toJSON(): BucketCounts {
    return { counts: [...this.counts], sum: this.sum };
  }

  /** Take over counts summed elsewhere (the workers'). */
  absorb(from: BucketCounts): void {
    if (from.counts.length === this.counts.length) this.counts = [...from.counts];
    this.sum = from.sum;
  }
}

export interface BucketCounts {
  counts: number[];
  sum: number;
}
