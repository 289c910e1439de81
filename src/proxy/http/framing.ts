// Walks a message body by its framing to find where it ends, without copying. Chunked bodies can also be
// decoded (for HTTP/1.0 clients, which cannot receive chunked encoding).
import type { Framing } from './head.js';

/**
 * A malformed chunked body. Not a coded LbaError on purpose: it is thrown in the middle of a read and always
 * caught by the session, which ends the exchange with a termination state (`SD`, `PD`) and never shows the text.
 */
export class FramingError extends Error {}

// A chunk-size line as RFC 9112 7.1 writes it, with no white space anywhere: `HEX *(";" name ["=" value])`, the
// value a token or a quoted string. Chunked bodies are forwarded as they are, so anything a server might read
// differently (spaces, bare LF, control characters, over 12 hex digits) is refused rather than passed on.
// Every choice in the pattern is made by one character (';', '=', '"', '\\'), so matching takes linear time.
const TOKEN = "[-!#$%&'*+.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
const CHUNK_SIZE_LINE = new RegExp(`^([0-9a-fA-F]{1,12})(?:;${TOKEN}(?:=(?:${TOKEN}|${QUOTED}))?)*$`);
/** A trailer field line: a name, a colon, a value without control characters but HTAB. */
const TRAILER_LINE = new RegExp(`^${TOKEN}:[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$`);

const enum Chunk { Size, Data, DataCrlf, Trailer }

export class BodyWalker {
  private remaining = 0;
  private state = Chunk.Size;
  private line = '';
  done: boolean;

  get kind(): Framing['kind'] {
    return this.framing.kind;
  }

  constructor(readonly framing: Framing) {
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
          // Lines end with CR LF; a bare LF is refused.
          if (!this.line.endsWith('\r')) throw new FramingError('bare LF in a chunked body');
          const line = this.line.slice(0, -1);
          this.line = '';
          if (this.state === Chunk.Trailer) {
            if (line === '') this.done = true;
            else if (!TRAILER_LINE.test(line)) throw new FramingError('invalid trailer field');
            break;
          }
          const m = CHUNK_SIZE_LINE.exec(line);
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
          if (c !== (this.remaining === 2 ? 13 : 10)) throw new FramingError('missing CRLF after chunk');
          i++;
          this.remaining--;
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
