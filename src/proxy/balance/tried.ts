// Remembers which servers a pick already offered to `accept`, without allocating per pick:
// a generation counter per server index, bumped once per pick.

export class TriedSet {
  private marks = new Uint32Array(0);
  private generation = 0;
  /** distinct servers rejected in the current pick */
  rejected = 0;

  resize(n: number): void {
    if (this.marks.length < n) this.marks = new Uint32Array(n);
  }

  /** Start a new pick. */
  begin(): void {
    this.rejected = 0;
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      // wrapped after 2^32 picks: clear so stale marks cannot collide
      this.marks.fill(0);
      this.generation = 1;
    }
  }

  has(i: number): boolean {
    return this.marks[i] === this.generation;
  }

  reject(i: number): void {
    if (this.marks[i] !== this.generation) {
      this.marks[i] = this.generation;
      this.rejected++;
    }
  }
}
