// Events per second over the last second, as HAProxy's freq_ctr: the previous second's count, weighted by the
// part of it still inside the window, plus the current second's. O(1), no timers, no allocation.
export class RateCounter {
  private second = 0;
  private current = 0;
  private previous = 0;
  /** highest rate seen (HAProxy's *_max columns) */
  max = 0;

  /** In the control process of a multi-worker proxy: the workers' rates, summed (see cluster/counters.ts). */
  private summed?: number;

  absorb(rate: number, max: number): void {
    this.summed = rate;
    this.max = max;
  }

  hit(now = Date.now()): void {
    this.roll(now);
    this.current++;
    const r = this.rate(now);
    if (r > this.max) this.max = r;
  }

  rate(now = Date.now()): number {
    if (this.summed !== undefined) return this.summed;
    this.roll(now);
    const into = (now % 1000) / 1000;
    return Math.round(this.previous * (1 - into) + this.current);
  }

  private roll(now: number): void {
    const sec = Math.floor(now / 1000);
    if (sec === this.second) return;
    this.previous = sec === this.second + 1 ? this.current : 0;
    this.current = 0;
    this.second = sec;
  }
}
