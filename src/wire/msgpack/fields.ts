import { DecodeError, type Unpacked } from './decode.js';

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
