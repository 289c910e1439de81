// msgpack as go-msgpack 0.5 ("old spec") writes it, which is what serf and memberlist put on the wire:
// structs are maps with field names sorted bytewise; strings AND byte slices are raw str (never bin, never str8);
// non-negative integers take the smallest unsigned format. Decoding is tolerant (any int width, str8, bin) and
// returns every raw string as a Buffer: only the caller knows which fields are text (serf IPs and Meta are not).

/** A value the encoder accepts. Buffers and strings both encode as raw str. */
export type Pack = null | undefined | boolean | number | bigint | string | Buffer | Pack[] | { [k: string]: Pack } | Float;

/** Force float64 encoding for a number (coordinates). */
export class Float {
  constructor(readonly value: number) {}
}

export class DecodeError extends Error {}

/** The input ended early: on a stream, wait for more bytes. */
export class Truncated extends DecodeError {}

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

function writeRaw(w: Writer, b: Buffer): void {
  const n = b.length;
  if (n < 32) w.byte(0xa0 | n);
  else if (n < 0x10000) {
    w.byte(0xda);
    w.u16(n);
  } else {
    w.byte(0xdb);
    w.u32(n);
  }
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
    if (n < 16) w.byte(0x90 | n);
    else if (n < 0x10000) (w.byte(0xdc), w.u16(n));
    else (w.byte(0xdd), w.u32(n));
    for (const x of v) write(w, x);
    return;
  }
  // A struct: Go writes its fields sorted by name; undefined fields are omitted (omitempty).
  const keys = Object.keys(v).filter((k) => (v as Record<string, Pack>)[k] !== undefined).sort();
  const n = keys.length;
  if (n < 16) w.byte(0x80 | n);
  else if (n < 0x10000) (w.byte(0xde), w.u16(n));
  else (w.byte(0xdf), w.u32(n));
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

/** A decoded value: raw strings are Buffers; map keys are decoded as text. */
export type Unpacked = null | boolean | number | bigint | Buffer | Unpacked[] | { [k: string]: Unpacked };

const MAX_ITEMS = 1 << 20;

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, start = 0) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Truncated('truncated msgpack');
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private count(n: number): number {
    if (n > MAX_ITEMS || n > this.buf.length - this.pos) throw new DecodeError('msgpack length exceeds input');
    return n;
  }

  value(depth = 0): Unpacked {
    if (depth > 32) throw new DecodeError('msgpack nesting too deep');
    const b = this.u8();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b < 0xc0) return this.raw(b & 0x1f);
    if (b >= 0x90 && b < 0xa0) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b < 0x90) return this.map(b & 0x0f, depth);
    const buf = this.buf;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.raw(this.u8());
      case 0xc5:
      case 0xda:
        this.need(2);
        return this.raw(((this.pos += 2), buf.readUInt16BE(this.pos - 2)));
      case 0xc6:
      case 0xdb:
        this.need(4);
        return this.raw(((this.pos += 4), buf.readUInt32BE(this.pos - 4)));
      case 0xca:
        this.need(4);
        return ((this.pos += 4), buf.readFloatBE(this.pos - 4));
      case 0xcb:
        this.need(8);
        return ((this.pos += 8), buf.readDoubleBE(this.pos - 8));
      case 0xcc:
        return this.u8();
      case 0xcd:
        this.need(2);
        return ((this.pos += 2), buf.readUInt16BE(this.pos - 2));
      case 0xce:
        this.need(4);
        return ((this.pos += 4), buf.readUInt32BE(this.pos - 4));
      case 0xcf: {
        this.need(8);
        const v = buf.readBigUInt64BE(this.pos);
        this.pos += 8;
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0xd0:
        this.need(1);
        return ((this.pos += 1), buf.readInt8(this.pos - 1));
      case 0xd1:
        this.need(2);
        return ((this.pos += 2), buf.readInt16BE(this.pos - 2));
      case 0xd2:
        this.need(4);
        return ((this.pos += 4), buf.readInt32BE(this.pos - 4));
      case 0xd3: {
        this.need(8);
        const v = buf.readBigInt64BE(this.pos);
        this.pos += 8;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0xdc:
        this.need(2);
        return this.array(((this.pos += 2), buf.readUInt16BE(this.pos - 2)), depth);
      case 0xdd:
        this.need(4);
        return this.array(((this.pos += 4), buf.readUInt32BE(this.pos - 4)), depth);
      case 0xde:
        this.need(2);
        return this.map(((this.pos += 2), buf.readUInt16BE(this.pos - 2)), depth);
      case 0xdf:
        this.need(4);
        return this.map(((this.pos += 4), buf.readUInt32BE(this.pos - 4)), depth);
      default:
        throw new DecodeError(`unsupported msgpack byte 0x${b.toString(16)}`);
    }
  }

  private array(n: number, depth: number): Unpacked[] {
    const out: Unpacked[] = new Array(this.count(n));
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): { [k: string]: Unpacked } {
    const out: { [k: string]: Unpacked } = Object.create(null);
    this.count(n);
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      if (k !== null && typeof k === 'object' && !Buffer.isBuffer(k)) throw new DecodeError('map key must be a scalar');
      const key = Buffer.isBuffer(k) ? k.toString('utf8') : String(k);
      out[key] = this.value(depth + 1);
    }
    return out;
  }
}

/** Decode one value starting at `start`; returns the value and where it ended. */
export function decode(buf: Buffer, start = 0): { value: Unpacked; end: number } {
  const r = new Reader(buf, start);
  const value = r.value();
  return { value, end: r.pos };
}

// Field accessors that turn a decoded map into typed values, failing with DecodeError on a wrong type.
export type MapValue = { [k: string]: Unpacked };

export function asMap(v: Unpacked, what: string): MapValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw new DecodeError(`${what}: expected a map`);
  return v;
}

export function str(m: MapValue, k: string): string {
  const v = m[k];
  if (v === undefined || v === null) return '';
  if (!Buffer.isBuffer(v)) throw new DecodeError(`${k}: expected a string`);
  return v.toString('utf8');
}

export function bytes(m: MapValue, k: string): Buffer {
  const v = m[k];
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (!Buffer.isBuffer(v)) throw new DecodeError(`${k}: expected bytes`);
  return v;
}

export function uint(m: MapValue, k: string): number {
  const v = m[k];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(`${k}: expected an integer`);
  return v;
}

export function bool(m: MapValue, k: string): boolean {
  const v = m[k];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new DecodeError(`${k}: expected a bool`);
  return v;
}

export function list(m: MapValue, k: string): Unpacked[] {
  const v = m[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${k}: expected an array`);
  return v;
}

/** A scalar as text (map keys, names): objects are refused rather than stringified. */
export function text(v: Unpacked): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === null) return '';
  throw new DecodeError('expected a string');
}
