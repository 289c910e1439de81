// Moving a server's bytes to its client: backpressure, and turns shared with the other connections.
//
// libuv reads a ready socket until it is empty (up to 32 reads of 64 KiB per wakeup), so one busy download could
// move megabytes while every other connection waits. After TURN_BYTES a reader pauses and resumes on the next
// turn of the event loop, as HAProxy moves about a buffer per connection per pass: at saturation, responses then
// finish in about the order they started (p99 close to p50).
import type { Socket } from 'node:net';
import type { ConnHandler } from '../engine/server.js';

/** Bytes one connection may move before the others get their turn. */
export const TURN_BYTES = 256 * 1024;

/** Backpressure and turns for one reader writing into one writer. */
export class Pacer {
  private turn = 0;
  private draining = false;
  private yielding = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    /** whether `from` should still be read when a wait ends */
    private readonly live: () => boolean,
    /** the writer is full / has drained (HTTP arms `timeout client` meanwhile) */
    private readonly hooks: { blocked?: () => void; drained?: () => void } = {},
  ) {}

  /** After writing `bytes` read from `from` into `to`; `ok` is what write() returned. */
  wrote(ok: boolean, bytes: number): void {
    if (!ok) {
      if (this.draining) return;
      this.draining = true;
      this.from.pause();
      this.hooks.blocked?.();
      this.to.once('drain', () => {
        this.draining = false;
        this.turn = 0; // waiting for the drain gave the others their turn
        this.hooks.drained?.();
        this.resume();
      });
      return;
    }
    // Counted since the reader last waited (a slow stream spread over many loop turns yields now and then
    // too: a pause and a resume every 256 KiB, which costs next to nothing).
    if ((this.turn += bytes) < TURN_BYTES) return;
    this.turn = 0;
    this.yielding = true;
    this.from.pause();
    setImmediate(() => {
      this.yielding = false;
      this.resume();
    });
  }

  private resume(): void {
    if (!this.draining && !this.yielding && !this.from.destroyed && this.live()) this.from.resume();
  }
}

/** The server-to-client half of a TCP session, as its server connection's handler. */
export class ServerToClient implements ConnHandler {
  private pacer?: Pacer;

  constructor(
    private readonly client: Socket,
    /** bytes relayed (for counters) */
    private readonly counted: (bytes: number) => void,
  ) {}

  data(chunk: Buffer, conn: Socket): boolean {
    this.counted(chunk.length);
    const ok = this.client.write(chunk);
    (this.pacer ??= new Pacer(conn, this.client, () => !this.client.destroyed)).wrote(ok, chunk.length);
    return this.client.writableLength === 0;
  }

  // The session listens to its server connection's end and timeout itself.
  end(): void {}
  timeout(): void {}
}
