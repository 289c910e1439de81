// Bulk bytes for streaming tests: reproducible noise and its digest, a reader that can start late, a writer that
// sends in pieces of many sizes, and HTTP chunked encoding.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

/** `mib` MiB of reproducible bytes (xorshift), the same for a given seed. */
export function noise(mib: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(mib * 1024 * 1024);
  let x = seed | 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Read everything. A late reader starts only after `stallMs`: meanwhile the kernel's buffers towards it fill up
 * and the proxy's writes to it queue.
 */
export function download(s: Socket, stallMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    if (stallMs) {
      s.pause();
      setTimeout(() => s.resume(), stallMs);
    }
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/**
 * Write `payload` to `s` in pieces of many sizes, one per turn of the event loop (or after a drain), so the
 * reader sees small reads as well as large ones. Resolves once all is written.
 */
export function writeInPieces(s: Socket, payload: Buffer, sizes = [1, 700, 4096, 15_000, 65_536]): Promise<void> {
  return new Promise((resolve) => {
    let at = 0;
    let n = 0;
    const more = (): void => {
      if (s.destroyed || at >= payload.length) return resolve();
      const piece = payload.subarray(at, at + sizes[n++ % sizes.length]!);
      at += piece.length;
      if (s.write(piece)) setImmediate(more);
      else s.once('drain', more);
    };
    more();
  });
}

/** `payload` in HTTP/1.1 chunked encoding, in chunks of the given sizes over and over. */
export function chunked(payload: Buffer, sizes = [1, 999, 8192, 40_000]): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, n = 0; at < payload.length; n++) {
    const piece = payload.subarray(at, at + sizes[n % sizes.length]!);
    at += piece.length;
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}
