// The server-to-client half of a TCP session (the heavy one: downloads, streams). It reads through net.connect's
// `onread` instead of the 'data' event, and takes turns with the other connections.
//
// - No Readable stream and no new buffer per read: bytes land in a buffer this relay owns and go straight to the
//   client. The buffer is read into again only once the kernel took a write of it whole; a write left queued
//   keeps its buffer, and the next read gets a fresh one.
// - Turns: libuv reads a ready socket until it is empty (up to 32 reads of 64 KiB per wakeup), so one busy
//   connection could move megabytes while every other waits. After TURN_BYTES the relay stops reading and
//   resumes on the next turn of the event loop, as HAProxy moves about a buffer per connection per pass: at
//   saturation, responses then finish in about the order they started (p99 close to p50).
import type { Socket } from 'node:net';
import type { OnRead } from './server.js';

const READ_SIZE = 64 * 1024;
/** Bytes one connection may move before the others get their turn. */
export const TURN_BYTES = 256 * 1024;

export class ServerToClient {
  private conn?: Socket;
  /** the read buffer, when no queued write holds it */
  private spare?: Buffer;
  private turn = 0;
  private waitingDrain = false;
  private waitingTurn = false;

  constructor(
    private readonly client: Socket,
    /** bytes relayed (for counters) */
    private readonly counted: (bytes: number) => void,
  ) {}

  /** For ServerRuntime.connect. */
  readonly onread: OnRead = {
    buffer: () => this.spare ?? Buffer.allocUnsafe(READ_SIZE),
    callback: (bytes, buf) => {
      const more = this.forward(bytes === buf.length ? buf : buf.subarray(0, bytes));
      this.spare = this.client.writableLength === 0 ? buf : undefined;
      return more;
    },
  };

  /** A TLS server connection has no `onread`: its 'data' chunks take the same path. */
  readonly onData = (chunk: Buffer): void => {
    if (!this.forward(chunk)) this.conn?.pause();
  };

  /** The connection `onread` was given to (its reads start only once it is known). */
  attach(conn: Socket): void {
    this.conn = conn;
  }

  /** Write to the client; false when reading must stop (the client's buffer is full, or this turn is over). */
  private forward(chunk: Buffer): boolean {
    this.counted(chunk.length);
    if (!this.client.write(chunk)) {
      this.waitingDrain = true;
      this.client.once('drain', this.drained);
      return false;
    }
    this.turn += chunk.length;
    if (this.turn < TURN_BYTES) return true;
    this.turn = 0;
    this.waitingTurn = true;
    setImmediate(this.nextTurn);
    return false;
  }

  private readonly drained = (): void => {
    this.waitingDrain = false;
    this.resume();
  };

  private readonly nextTurn = (): void => {
    this.waitingTurn = false;
    this.resume();
  };

  private resume(): void {
    const conn = this.conn;
    if (conn && !this.waitingDrain && !this.waitingTurn && !conn.destroyed) conn.resume();
  }
}
