// msgpack as go-msgpack 0.5 ("old spec") writes it, which is what serf and memberlist put on the wire:
// structs are maps with field names sorted bytewise; strings AND byte slices are raw str (never bin, never str8);
// non-negative integers take the smallest unsigned format.

/** A value the encoder accepts. Buffers and strings both encode as raw str. */
export type Pack = null | undefined | boolean | number | bigint | string | Buffer | Pack[] | { [k: string]: Pack } | Float;

/** Force float64 encoding for a number (coordinates). */
export class Float {
  constructor(readonly value: number) {}
}

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.len);
    this.len += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.len);
    this.len += 8;
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** A length header: the fix form (`fix | n`) below `fixLimit`, else a 16-bit or a 32-bit length after its type byte. */
function writeLength(w: Writer, n: number, fix: number, fixLimit: number, type16: number): void {
  if (n < fixLimit) w.byte(fix | n);
  else if (n < 0x10000) {
    w.byte(type16);
    w.u16(n);
  } else {
    w.byte(type16 + 1);
    w.u32(n);
  }
}

function writeRaw(w: Writer, b: Buffer): void {
  writeLength(w, b.length, 0xa0, 32, 0xda); // fixraw, raw 16, raw 32
  w.bytes(b);
}

function writeInt(w: Writer, v: number | bigint): void {
  if (typeof v === 'bigint') {
    if (v >= 0n) {
      if (v <= 0xffffffffn) return writeInt(w, Number(v));
      w.byte(0xcf);
      return w.u64(v);
    }
    w.byte(0xd3);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(v);
    return w.bytes(b);
  }
  if (!Number.isInteger(v)) {
    w.byte(0xcb);
    return w.f64(v);
  }
  if (v >= 0) {
    if (v < 0x80) return w.byte(v);
    if (v < 0x100) return (w.byte(0xcc), w.byte(v));
    if (v < 0x10000) return (w.byte(0xcd), w.u16(v));
    if (v < 0x100000000) return (w.byte(0xce), w.u32(v));
    w.byte(0xcf);
    return w.u64(BigInt(v));
  }
  if (v >= -32) return w.byte(v & 0xff);
  const b = Buffer.allocUnsafe(9);
  if (v >= -128) return w.bytes(Buffer.from([0xd0, v & 0xff]));
  if (v >= -32768) {
    b[0] = 0xd1;
    b.writeInt16BE(v, 1);
    return w.bytes(b.subarray(0, 3));
  }
  if (v >= -2147483648) {
    b[0] = 0xd2;
    b.writeInt32BE(v, 1);
    return w.bytes(b.subarray(0, 5));
  }
  b[0] = 0xd3;
  b.writeBigInt64BE(BigInt(v), 1);
  w.bytes(b);
}

function write(w: Writer, v: Pack): void {
  if (v === null || v === undefined) return w.byte(0xc0);
  if (v === true) return w.byte(0xc3);
  if (v === false) return w.byte(0xc2);
  if (typeof v === 'number' || typeof v === 'bigint') return writeInt(w, v);
  if (typeof v === 'string') return writeRaw(w, Buffer.from(v, 'utf8'));
  if (Buffer.isBuffer(v)) return writeRaw(w, v);
  if (v instanceof Float) {
    w.byte(0xcb);
    return w.f64(v.value);
  }
  if (Array.isArray(v)) {
    const n = v.length;
    writeLength(w, n, 0x90, 16, 0xdc); // fixarray, array 16, array 32
    for (const x of v) write(w, x);
    return;
  }
  // A struct: Go writes its fields sorted by name; undefined fields are omitted (omitempty).
  const keys = Object.keys(v).filter((k) => (v as Record<string, Pack>)[k] !== undefined).sort();
  const n = keys.length;
  writeLength(w, n, 0x80, 16, 0xde); // fixmap, map 16, map 32
  for (const k of keys) {
    writeRaw(w, Buffer.from(k, 'utf8'));
    write(w, (v as Record<string, Pack>)[k]!);
  }
}

export function encode(v: Pack): Buffer {
  const w = new Writer();
  write(w, v);
  return w.done();
}
