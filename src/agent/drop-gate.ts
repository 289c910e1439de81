// Streamed answers (monitor, event stream) to a client that may read slower than lines come. As serf's agent
// does (its monitor and stream channels drop when full), lines beyond what the connection may hold unsent are
// dropped and counted, never buffered without bound: a stuck client must not grow the agent's memory.

/** Unsent bytes a monitor or event stream may hold before new lines are dropped. */
export const STREAM_BUFFER_LIMIT = 1024 * 1024;

export class DropGate {
  dropped = 0;
  private dropping = false;

  /**
   * `unsent`: the bytes the connection holds unsent (its writableLength). `onDropStart`: called once each time
   * dropping starts (after the current call returns: it may log, and the log may feed this very stream).
   */
  constructor(
    private readonly unsent: () => number,
    private readonly onDropStart: () => void,
    private readonly limit = STREAM_BUFFER_LIMIT,
  ) {}

  /** True when the next line may be written; false (and counted) when it is dropped. */
  pass(): boolean {
    if (this.unsent() < this.limit) {
      this.dropping = false;
      return true;
    }
    this.dropped++;
    if (!this.dropping) {
      this.dropping = true;
      setImmediate(this.onDropStart);
    }
    return false;
  }
}
