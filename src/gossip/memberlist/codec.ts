// memberlist's wire messages (protocol 2, as serf 0.9.x-0.10.x speak it): one function to decode a UDP packet
// into messages (unwrapping CRC, compression, compounds and labels) and one encoder per message type.
import { crc32 } from 'node:zlib';
import { isIP } from 'node:net';
import { lzwDecode } from './lzw.js';
import { asMap, bool, bytes, decode, DecodeError, encode, list, str, Truncated, uint, type MapValue, type Pack } from '../../wire/msgpack/index.js';

export const enum MsgType {
  Ping = 0,
  IndirectPing = 1,
  Ack = 2,
  Suspect = 3,
  Alive = 4,
  Dead = 5,
  PushPull = 6,
  Compound = 7,
  User = 8,
  Compress = 9,
  Encrypt = 10,
  Nack = 11,
  HasCrc = 12,
  Err = 13,
  HasLabel = 244,
}

export interface Ping { seqNo: number; node: string; sourceAddr?: string; sourcePort?: number; sourceNode?: string }
export interface IndirectPing { seqNo: number; target: string; port: number; node: string; nack: boolean; sourceAddr?: string; sourcePort?: number; sourceNode?: string }
export interface Ack { seqNo: number; payload: Buffer }
export interface Nack { seqNo: number }
export interface Suspect { incarnation: number; node: string; from: string }
export interface Dead { incarnation: number; node: string; from: string }
// addrBytes: the address as it came on the wire (4 bytes, or 16 for an IPv4 that serf's memberlist found itself),
// relayed as is: memberlist compares addresses byte for byte, and another form of its own address is a conflict.
export interface Alive { incarnation: number; node: string; addr: string; port: number; meta: Buffer; vsn: number[]; addrBytes?: Buffer }
export interface PushNodeState { name: string; addr: string; port: number; meta: Buffer; incarnation: number; state: number; vsn: number[]; addrBytes?: Buffer }

export type Message =
  | { type: MsgType.Ping; body: Ping }
  | { type: MsgType.IndirectPing; body: IndirectPing }
  | { type: MsgType.Ack; body: Ack }
  | { type: MsgType.Nack; body: Nack }
  | { type: MsgType.Suspect; body: Suspect }
  | { type: MsgType.Alive; body: Alive }
  | { type: MsgType.Dead; body: Dead }
  | { type: MsgType.User; body: Buffer };

// --- IP addresses travel as 4 or 16 raw bytes ---
export function ipToBytes(ip: string): Buffer {
  if (ip === '') return Buffer.alloc(0); // a nil net.IP, the inverse of bytesToIp
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) === 6) {
    const [head, tail = ''] = ip.split('::') as [string, string?];
    const h = head ? head.split(':') : [];
    const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
    return b;
  }
  throw new DecodeError(`invalid IP ${ip}`);
}

export function bytesToIp(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16) {
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  if (b.length === 0) return '';
  throw new DecodeError(`invalid IP of ${b.length} bytes`);
}

/** A node's address in its wire form: as received when it was, else from its text. */
export function wireAddr(n: { addr: string; addrBytes?: Buffer }): Buffer {
  return n.addrBytes?.length ? n.addrBytes : ipToBytes(n.addr);
}

/** The wire form of an address, kept only when it is not the one its text gives (an IPv4 in 16 bytes). */
function unusualForm(raw: Buffer, addr: string): { addrBytes?: Buffer } {
  return addr !== '' && raw.length === 16 && isIP(addr) === 4 ? { addrBytes: Buffer.from(raw) } : {};
}

/** A node's announced address: '' unless 4 or 16 bytes, so the receiver drops the record as 'invalid address'. */
function nodeAddr(b: Buffer): string {
  return b.length === 4 || b.length === 16 ? bytesToIp(b) : '';
}

/** Vsn is a byte string of 6 entries: [pMin, pMax, pCur, dMin, dMax, dCur]. */
function vsnOf(m: MapValue): number[] {
  return [...bytes(m, 'Vsn')];
}

// --- decoding bodies ---
function body(buf: Buffer, at: number): MapValue {
  const { value } = decode(buf, at);
  return asMap(value, 'message body');
}

export function decodeAlive(m: MapValue): Alive {
  const raw = bytes(m, 'Addr');
  const addr = nodeAddr(raw);
  return { incarnation: uint(m, 'Incarnation'), node: str(m, 'Node'), addr, port: uint(m, 'Port'), meta: Buffer.from(bytes(m, 'Meta')), vsn: vsnOf(m), ...unusualForm(raw, addr) };
}

function source(m: MapValue) {
  const addr = bytes(m, 'SourceAddr');
  return { sourceAddr: addr.length ? bytesToIp(addr) : undefined, sourcePort: m.SourcePort !== undefined ? uint(m, 'SourcePort') : undefined, sourceNode: m.SourceNode !== undefined ? str(m, 'SourceNode') : undefined };
}

/** Decode one message (type byte + body); compound/compress/crc are unwrapped by decodePacket. */
function decodeOne(buf: Buffer): Message {
  const t = buf[0];
  switch (t) {
    case MsgType.Ping: {
      const m = body(buf, 1);
      return { type: t, body: { seqNo: uint(m, 'SeqNo'), node: str(m, 'Node'), ...source(m) } };
    }
    case MsgType.IndirectPing: {
      const m = body(buf, 1);
      return { type: t, body: { seqNo: uint(m, 'SeqNo'), target: bytesToIp(bytes(m, 'Target')), port: uint(m, 'Port'), node: str(m, 'Node'), nack: bool(m, 'Nack'), ...source(m) } };
    }
    case MsgType.Ack: {
      const m = body(buf, 1);
      return { type: t, body: { seqNo: uint(m, 'SeqNo'), payload: Buffer.from(bytes(m, 'Payload')) } };
    }
    case MsgType.Nack:
      return { type: t, body: { seqNo: uint(body(buf, 1), 'SeqNo') } };
    case MsgType.Suspect:
    case MsgType.Dead: {
      const m = body(buf, 1);
      return { type: t, body: { incarnation: uint(m, 'Incarnation'), node: str(m, 'Node'), from: str(m, 'From') } } as Message;
    }
    case MsgType.Alive:
      return { type: t, body: decodeAlive(body(buf, 1)) };
    case MsgType.User:
      return { type: t, body: Buffer.from(buf.subarray(1)) };
    default:
      throw new DecodeError(`unknown message type ${t}`);
  }
}

/** Unwrap a UDP packet (after decryption): hasCrc, compress, compound and label layers, in any nesting. */
export function decodePacket(buf: Buffer, depth = 0): Message[] {
  if (depth > 4) throw new DecodeError('packet nesting too deep');
  if (buf.length === 0) throw new DecodeError('empty packet');
  switch (buf[0]) {
    case MsgType.HasCrc: {
      if (buf.length < 5) throw new DecodeError('truncated crc packet');
      const want = buf.readUInt32BE(1);
      const rest = buf.subarray(5);
      if (crc32(rest) >>> 0 !== want) throw new DecodeError('crc mismatch');
      return decodePacket(rest, depth + 1);
    }
    case MsgType.Compress:
      return decodePacket(decompress(buf), depth + 1);
    case MsgType.Compound: {
      if (buf.length < 2) throw new DecodeError('truncated compound');
      const n = buf[1]!;
      let off = 2 + n * 2;
      if (buf.length < off) throw new DecodeError('truncated compound header');
      const out: Message[] = [];
      for (let i = 0; i < n; i++) {
        const len = buf.readUInt16BE(2 + i * 2);
        if (off + len > buf.length) break; // memberlist keeps the complete parts
        out.push(...decodePacket(buf.subarray(off, off + len), depth + 1));
        off += len;
      }
      return out;
    }
    case MsgType.HasLabel: {
      if (buf.length < 2 || buf[1] === 0 || buf.length < 2 + buf[1]!) throw new DecodeError('bad label');
      return decodePacket(buf.subarray(2 + buf[1]!), depth + 1);
    }
    default:
      return [decodeOne(buf)];
  }
}

/** `0x09` + {Algo, Buf} → the decompressed bytes. */
export function decompress(buf: Buffer): Buffer {
  const m = body(buf, 1);
  if (uint(m, 'Algo') !== 0) throw new DecodeError('unknown compression algorithm');
  return lzwDecode(bytes(m, 'Buf'));
}

// --- encoding ---
const msg = (t: MsgType, b: Pack) => Buffer.concat([Buffer.from([t]), encode(b)]);

export const encodePing = (p: Ping) =>
  msg(MsgType.Ping, { SeqNo: p.seqNo, Node: p.node, SourceAddr: p.sourceAddr ? ipToBytes(p.sourceAddr) : undefined, SourcePort: p.sourcePort, SourceNode: p.sourceNode });
export const encodeIndirectPing = (p: IndirectPing) =>
  msg(MsgType.IndirectPing, { SeqNo: p.seqNo, Target: ipToBytes(p.target), Port: p.port, Node: p.node, Nack: p.nack, SourceAddr: p.sourceAddr ? ipToBytes(p.sourceAddr) : undefined, SourcePort: p.sourcePort, SourceNode: p.sourceNode });
export const encodeAck = (a: Ack) => msg(MsgType.Ack, { SeqNo: a.seqNo, Payload: a.payload.length ? a.payload : null });
export const encodeNack = (n: Nack) => msg(MsgType.Nack, { SeqNo: n.seqNo });
export const encodeSuspect = (s: Suspect) => msg(MsgType.Suspect, { Incarnation: s.incarnation, Node: s.node, From: s.from });
export const encodeDead = (d: Dead) => msg(MsgType.Dead, { Incarnation: d.incarnation, Node: d.node, From: d.from });
export const encodeAlive = (a: Alive) =>
  msg(MsgType.Alive, { Incarnation: a.incarnation, Node: a.node, Addr: wireAddr(a), Port: a.port, Meta: a.meta, Vsn: Buffer.from(a.vsn) });
export const encodeUser = (payload: Buffer) => Buffer.concat([Buffer.from([MsgType.User]), payload]);

/** Several messages in one packet: 0x07, count, lengths (uint16 BE), then the messages. */
export function encodeCompound(msgs: Buffer[]): Buffer {
  const head = Buffer.alloc(2 + msgs.length * 2);
  head[0] = MsgType.Compound;
  head[1] = msgs.length;
  msgs.forEach((m, i) => head.writeUInt16BE(m.length, 2 + i * 2));
  return Buffer.concat([head, ...msgs]);
}

/** 0x0c + CRC-32 (IEEE) + message: what memberlist adds for peers with protocol max >= 5. */
export function withCrc(buf: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = MsgType.HasCrc;
  head.writeUInt32BE(crc32(buf) >>> 0, 1);
  return Buffer.concat([head, buf]);
}

// --- push/pull over TCP ---
export interface PushPull {
  join: boolean;
  nodes: PushNodeState[];
  userState: Buffer;
}

export function encodePushPull(p: PushPull): Buffer {
  const parts: Buffer[] = [Buffer.from([MsgType.PushPull]), encode({ Join: p.join, Nodes: p.nodes.length, UserStateLen: p.userState.length })];
  for (const n of p.nodes) {
    parts.push(encode({ Name: n.name, Addr: wireAddr(n), Port: n.port, Meta: n.meta, Incarnation: n.incarnation, State: n.state, Vsn: Buffer.from(n.vsn) }));
  }
  parts.push(p.userState);
  return Buffer.concat(parts);
}

/** Decode a push/pull body starting after its type byte. */
export function decodePushPull(buf: Buffer, start: number): PushPull {
  let { value, end } = decode(buf, start);
  const h = asMap(value, 'push/pull header');
  const count = uint(h, 'Nodes');
  const userLen = uint(h, 'UserStateLen');
  if (count > 100_000) throw new DecodeError('too many nodes in push/pull');
  const nodes: PushNodeState[] = [];
  for (let i = 0; i < count; i++) {
    ({ value, end } = decode(buf, end));
    const m = asMap(value, 'push node state');
    const raw = bytes(m, 'Addr');
    const addr = nodeAddr(raw);
    nodes.push({ name: str(m, 'Name'), addr, port: uint(m, 'Port'), meta: Buffer.from(bytes(m, 'Meta')), incarnation: uint(m, 'Incarnation'), state: uint(m, 'State'), vsn: vsnOf(m), ...unusualForm(raw, addr) });
  }
  if (end + userLen > buf.length) throw new Truncated('truncated push/pull user state');
  return { join: bool(h, 'Join'), nodes, userState: Buffer.from(buf.subarray(end, end + userLen)) };
}

export { list };
