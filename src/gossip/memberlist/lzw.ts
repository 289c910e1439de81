// Go's compress/lzw as memberlist uses it: LSB bit order, literal width 8 (codes 9..12 bits, clear 256, EOF 257).
// We decode what peers send; we send uncompressed (memberlist accepts both), so there is no encoder here.
import { DecodeError } from '../../wire/msgpack/index.js';

const CLEAR = 256;
const EOF = 257;
const MAX_WIDTH = 12;
const MAX_OUTPUT = 20 * 1024 * 1024; // memberlist's push-pull limit

export function lzwDecode(input: Buffer): Buffer {
  const prefix = new Int32Array(1 << MAX_WIDTH);
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const first = new Uint8Array(1 << MAX_WIDTH);
  const out: number[] = [];
  const stack = new Uint8Array(1 << MAX_WIDTH);
  let width = 9;
  let hi = EOF; // last assigned code
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let acc = 0;
  let pos = 0;
  for (let c = 0; c < 256; c++) first[c] = c;

  for (;;) {
    while (bits < width) {
      if (pos >= input.length) throw new DecodeError('lzw: unexpected end of data');
      acc |= input[pos++]! << bits;
      bits += 8;
    }
    const code = acc & ((1 << width) - 1);
    acc >>>= width;
    bits -= width;

    if (code === CLEAR) {
      width = 9;
      hi = EOF;
      overflow = 1 << width;
      last = -1;
      continue;
    }
    if (code === EOF) break;
    if (code < CLEAR) {
      out.push(code);
      if (last !== -1 && hi + 1 < 1 << MAX_WIDTH) {
        hi++;
        prefix[hi] = last;
        suffix[hi] = code;
        first[hi] = first[last]!;
      }
    } else if (code <= hi + 1 && last !== -1) {
      // Known code, or the KwKwK case (code == hi + 1).
      let c = code;
      let n = 0;
      if (code === hi + 1) {
        stack[n++] = first[last]!;
        c = last;
      }
      while (c >= 258) {
        stack[n++] = suffix[c]!;
        c = prefix[c]!;
      }
      stack[n++] = c;
      const head = stack[n - 1]!;
      for (let i = n - 1; i >= 0; i--) out.push(stack[i]!);
      if (hi + 1 < 1 << MAX_WIDTH) {
        hi++;
        prefix[hi] = last;
        suffix[hi] = head;
        first[hi] = first[last]!;
      }
    } else {
      throw new DecodeError('lzw: invalid code');
    }
    if (out.length > MAX_OUTPUT) throw new DecodeError('lzw: output too large');
    last = code;
    if (hi + 1 >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1; // table full: Go's writer sends a clear next
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
  return Buffer.from(out);
}
