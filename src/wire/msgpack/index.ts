// The msgpack of serf's wire: memberlist's messages, serf's messages and serf's RPC all speak it.
// Hand-written on purpose: serf and memberlist use go-msgpack 0.5, which writes strings and byte slices alike as
// the old spec's raw str (no str8, no bin). msgpackr and @msgpack/msgpack write only the new spec, whose bin8
// serf 0.9.x refuses, so neither can speak to it.
export { encode, Float, type Pack } from './encode.js';
export { decode, DecodeError, Truncated, type Unpacked } from './decode.js';
export { asMap, bool, bytes, list, str, text, uint, type MapValue } from './fields.js';
