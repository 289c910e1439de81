// HAProxy's rise/fall counter. `health` runs 0..rise+fall-1; the server is UP while health >= rise.
// A failure that drops it below rise resets it to 0; a success that reaches rise jumps it to the top.
import type { HealthView } from './words.js';

export class HealthCounter {
  private health: number;

  constructor(
    private rise: number,
    private fall: number,
    up: boolean,
  ) {
    this.rise = Math.max(1, rise);
    this.fall = Math.max(1, fall);
    this.health = up ? this.top : 0;
  }

  private get top(): number {
    return this.rise + this.fall - 1;
  }

  get up(): boolean {
    return this.health >= this.rise;
  }

  /** fully DOWN (downinter applies) */
  get down(): boolean {
    return this.health === 0;
  }

  /** between the extremes (fastinter applies) */
  get transitional(): boolean {
    return this.health > 0 && this.health < this.top;
  }

  /** "x/y UP|DOWN" as HAProxy prints it. */
  view(): HealthView {
    return this.up
      ? { up: true, count: this.health - this.rise + 1, of: this.fall }
      : { up: false, count: this.health, of: this.rise };
  }

  /**
   * Count one check. `changed`: the counter moved (HAProxy logs the check line only then);
   * `transition`: the server crossed rise/fall.
   */
  record(ok: boolean): { changed: boolean; transition?: 'up' | 'down' } {
    const wasUp = this.up;
    const before = this.health;
    if (ok) {
      if (this.health < this.top) {
        this.health++;
        if (this.health >= this.rise) this.health = this.top;
      }
    } else if (this.health > 0) {
      this.health--;
      if (this.health < this.rise) this.health = 0;
    }
    const transition = wasUp === this.up ? undefined : this.up ? 'up' : 'down';
    return { changed: before !== this.health, transition };
  }

  /** New rise/fall in place: an UP server stays UP at the top, a DOWN one keeps its progress below rise. */
  retime(rise: number, fall: number): void {
    const wasUp = this.up;
    const progress = this.health;
    this.rise = Math.max(1, rise);
    this.fall = Math.max(1, fall);
    this.health = wasUp ? this.top : Math.min(progress, this.rise - 1);
  }
}
