// serf's Lamport clock: increment() for our own events; witness(v) moves past anything we have seen.
export class LamportClock {
  private counter = 0;

  time(): number {
    return this.counter;
  }

  increment(): number {
    return ++this.counter;
  }

  witness(v: number): void {
    if (v >= this.counter) this.counter = v + 1;
  }
}
