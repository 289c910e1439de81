// Walks a message body by its framing to find where it ends, without copying. Chunked bodies can also be
// decoded (for HTTP/1.0 clients, which cannot receive chunked encoding).
import type { Framing } from './head.js';

export class FramingError extends Error {}

const enum Chunk { Size, SizeLineEnd, Data, DataCrlf, Trailer }

export class BodyWalker {
  private remaining = 0;
  private state = Chunk.Size;
  private line = '';
  done: boolean;

  get kind(): Framing['kind'] {
    return this.framing.kind;
  }

  constructor(private readonly framing: Framing) {
    this.done = framing.kind === 'none';
    if (framing.kind === 'length') this.remaining = framing.length;
  }

  /**
   * Consume bytes of `buf` from offset `from`; returns how many belong to this body (the rest is the next
   * message). When `decoded` is given, the payload bytes of a chunked body are pushed to it.
   */
  feed(buf: Buffer, from = 0, decoded?: Buffer[]): number {
    if (this.done) return 0;
    const available = buf.length - from;
    switch (this.framing.kind) {
      case 'close':
        decoded?.push(from === 0 ? buf : buf.subarray(from));
        return available;
      case 'length': {
        const n = Math.min(this.remaining, available);
        this.remaining -= n;
        if (this.remaining === 0) this.done = true;
        decoded?.push(from === 0 && n === buf.length ? buf : buf.subarray(from, from + n));
        return n;
      }
      case 'chunked':
        return this.feedChunked(buf, from, decoded) - from;
      default:
        return 0;
    }
  }

  /** Returns the offset just past the bytes consumed. */
  private feedChunked(buf: Buffer, from: number, decoded?: Buffer[]): number {
    let i = from;
    while (i < buf.length && !this.done) {
      switch (this.state) {
        case Chunk.Size:
        case Chunk.Trailer: {
          const nl = buf.indexOf(10, i);
          const end = nl < 0 ? buf.length : nl;
          this.line += buf.toString('latin1', i, end);
          if (this.line.length > 4096) throw new FramingError('chunk line too long');
          i = end;
          if (nl < 0) break;
          i = nl + 1;
          const line = this.line.replace(/\r$/, '');
          this.line = '';
          if (this.state === Chunk.Trailer) {
            if (line === '') this.done = true;
            break;
          }
          const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
          if (!m) throw new FramingError('invalid chunk size');
          const size = parseInt(m[1]!, 16);
          if (size === 0) this.state = Chunk.Trailer;
          else {
            this.remaining = size;
            this.state = Chunk.Data;
          }
          break;
        }
        case Chunk.Data: {
          const n = Math.min(this.remaining, buf.length - i);
          decoded?.push(buf.subarray(i, i + n));
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.state = Chunk.DataCrlf;
            this.remaining = 2;
          }
          break;
        }
        case Chunk.DataCrlf: {
          const c = buf[i]!;
          if ((this.remaining === 2 && c !== 13 && c !== 10) || (this.remaining === 1 && c !== 10)) throw new FramingError('missing CRLF after chunk');
          i++;
          this.remaining = c === 10 ? 0 : this.remaining - 1;
          if (this.remaining === 0) this.state = Chunk.Size;
          break;
        }
        default:
          break;
      }
    }
    return i;
  }
}
