// msgpack decoding, tolerant as go-msgpack's: any int width, str8, bin. Every raw string comes back as a Buffer:
// only the caller knows which fields are text (serf IPs and Meta are not).

export class DecodeError extends Error {}

/** The input ended early: on a stream, wait for more bytes. */
export class Truncated extends DecodeError {}

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
    // 0xc0-0xdf: a type byte; bin, str and the long array and map forms carry a length, the rest a fixed size
    if ((b >= 0xc4 && b <= 0xc6) || b >= 0xd9) return this.prefixed(b, depth);
    return this.fixed(b);
  }

  /** nil, booleans and numbers: types whose size the type byte gives. */
  private fixed(b: number): Unpacked {
    const buf = this.buf;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
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
      default:
        throw new DecodeError(`unsupported msgpack byte 0x${b.toString(16)}`);
    }
  }

  /** bin, str, array and map with a length of 1, 2 or 4 bytes after the type byte. */
  private prefixed(b: number, depth: number): Unpacked {
    const buf = this.buf;
    switch (b) {
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
