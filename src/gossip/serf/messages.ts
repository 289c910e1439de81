// serf's messages (delegate protocol 2..5), carried as memberlist user messages: one type byte + a msgpack map.
import { asMap, bool, bytes, decode, DecodeError, encode, list, str, text, uint, type MapValue, type Unpacked } from '../../wire/msgpack/index.js';
import { bytesToIp, ipToBytes } from '../memberlist/codec.js';
import { compileFilterRegex, type CompiledRegex } from './filter-regex.js';
import { errorMessage } from '../../errors/index.js';

export const enum SerfMsg {
  Leave = 0,
  Join = 1,
  PushPull = 2,
  UserEvent = 3,
  Query = 4,
  QueryResponse = 5,
  ConflictResponse = 6,
  KeyRequest = 7,
  KeyResponse = 8,
  Relay = 9,
}

export interface JoinIntent { ltime: number; node: string }
export interface LeaveIntent { ltime: number; node: string; prune: boolean }
export interface UserEventMsg { ltime: number; name: string; payload: Buffer; cc: boolean }
export interface QueryMsg {
  ltime: number; id: number; addr: string; port: number; sourceNode: string; filters: Buffer[]; flags: number; relayFactor: number; timeoutNs: number; name: string; payload: Buffer;
}
export interface QueryResponseMsg { ltime: number; id: number; from: string; flags: number; payload: Buffer }
export interface UserEventEntry { ltime: number; events: { name: string; payload: Buffer }[] }
export interface SerfPushPull {
  ltime: number; statusLTimes: Record<string, number>; leftMembers: string[]; eventLTime: number; events: (UserEventEntry | null)[]; queryLTime: number;
}

export const QUERY_FLAG_ACK = 1;
export const QUERY_FLAG_NO_BROADCAST = 2;

const tagged = (t: SerfMsg, body: Parameters<typeof encode>[0]) => Buffer.concat([Buffer.from([t]), encode(body)]);

export const encodeJoin = (j: JoinIntent) => tagged(SerfMsg.Join, { LTime: j.ltime, Node: j.node });
export const encodeLeave = (l: LeaveIntent) => tagged(SerfMsg.Leave, { LTime: l.ltime, Node: l.node, Prune: l.prune });
export const encodeUserEvent = (e: UserEventMsg) => tagged(SerfMsg.UserEvent, { LTime: e.ltime, Name: e.name, Payload: e.payload, CC: e.cc });
export const encodeQuery = (q: QueryMsg) =>
  tagged(SerfMsg.Query, {
    LTime: q.ltime, ID: q.id, Addr: ipToBytes(q.addr), Port: q.port, SourceNode: q.sourceNode, Filters: q.filters.length ? q.filters : null, Flags: q.flags,
    RelayFactor: q.relayFactor, Timeout: q.timeoutNs, Name: q.name, Payload: q.payload,
  });
export const encodeQueryResponse = (r: QueryResponseMsg) => tagged(SerfMsg.QueryResponse, { LTime: r.ltime, ID: r.id, From: r.from, Flags: r.flags, Payload: r.payload.length ? r.payload : null });
export const encodePushPull = (p: SerfPushPull) =>
  tagged(SerfMsg.PushPull, {
    LTime: p.ltime, StatusLTimes: p.statusLTimes, LeftMembers: p.leftMembers, EventLTime: p.eventLTime,
    Events: p.events.map((e) => (e ? { LTime: e.ltime, Events: e.events.map((x) => ({ Name: x.name, Payload: x.payload })) } : null)), QueryLTime: p.queryLTime,
  });

export type SerfMessage =
  | { type: SerfMsg.Join; body: JoinIntent }
  | { type: SerfMsg.Leave; body: LeaveIntent }
  | { type: SerfMsg.UserEvent; body: UserEventMsg }
  | { type: SerfMsg.Query; body: QueryMsg }
  | { type: SerfMsg.QueryResponse; body: QueryResponseMsg }
  | { type: SerfMsg.PushPull; body: SerfPushPull }
  | { type: SerfMsg.Relay; body: { destAddr: string; destPort: number; destName: string; inner: Buffer } }
  | { type: SerfMsg.ConflictResponse | SerfMsg.KeyRequest | SerfMsg.KeyResponse; body: MapValue };

function map(buf: Buffer, at = 1): MapValue {
  return asMap(decode(buf, at).value, 'serf message');
}

export function decodeSerf(buf: Buffer): SerfMessage {
  if (buf.length < 1) throw new DecodeError('empty serf message');
  const t = buf[0] as SerfMsg;
  switch (t) {
    case SerfMsg.Join: {
      const m = map(buf);
      return { type: t, body: { ltime: uint(m, 'LTime'), node: str(m, 'Node') } };
    }
    case SerfMsg.Leave: {
      const m = map(buf);
      return { type: t, body: { ltime: uint(m, 'LTime'), node: str(m, 'Node'), prune: bool(m, 'Prune') } };
    }
    case SerfMsg.UserEvent: {
      const m = map(buf);
      return { type: t, body: { ltime: uint(m, 'LTime'), name: str(m, 'Name'), payload: Buffer.from(bytes(m, 'Payload')), cc: bool(m, 'CC') } };
    }
    case SerfMsg.Query: {
      const m = map(buf);
      const filters = list(m, 'Filters').map((f) => {
        if (!Buffer.isBuffer(f)) throw new DecodeError('query filter: expected bytes');
        return Buffer.from(f);
      });
      return {
        type: t,
        body: {
          ltime: uint(m, 'LTime'), id: uint(m, 'ID'), addr: bytesToIp(bytes(m, 'Addr')), port: uint(m, 'Port'), sourceNode: str(m, 'SourceNode'), filters,
          flags: uint(m, 'Flags'), relayFactor: uint(m, 'RelayFactor'), timeoutNs: uint(m, 'Timeout'), name: str(m, 'Name'), payload: Buffer.from(bytes(m, 'Payload')),
        },
      };
    }
    case SerfMsg.QueryResponse: {
      const m = map(buf);
      return { type: t, body: { ltime: uint(m, 'LTime'), id: uint(m, 'ID'), from: str(m, 'From'), flags: uint(m, 'Flags'), payload: Buffer.from(bytes(m, 'Payload')) } };
    }
    case SerfMsg.PushPull: {
      const m = map(buf);
      const st = m.StatusLTimes;
      const statusLTimes: Record<string, number> = {};
      if (st && typeof st === 'object' && !Buffer.isBuffer(st) && !Array.isArray(st)) for (const [k, v] of Object.entries(st)) {
        if (typeof v !== 'number' && typeof v !== 'bigint') throw new DecodeError('StatusLTimes: expected integers');
        statusLTimes[k] = Number(v);
      }
      const events = list(m, 'Events').map((e: Unpacked): UserEventEntry | null => {
        if (e === null) return null;
        const em = asMap(e, 'event entry');
        return { ltime: uint(em, 'LTime'), events: list(em, 'Events').map((x) => { const xm = asMap(x, 'event'); return { name: str(xm, 'Name'), payload: Buffer.from(bytes(xm, 'Payload')) }; }) };
      });
      const leftMembers = list(m, 'LeftMembers').map(text);
      return { type: t, body: { ltime: uint(m, 'LTime'), statusLTimes, leftMembers, eventLTime: uint(m, 'EventLTime'), events, queryLTime: uint(m, 'QueryLTime') } };
    }
    case SerfMsg.Relay: {
      const { value, end } = decode(buf, 1);
      const h = asMap(value, 'relay header');
      const dest = asMap(h.DestAddr ?? null, 'relay DestAddr');
      return { type: t, body: { destAddr: bytesToIp(bytes(dest, 'IP')), destPort: uint(dest, 'Port'), destName: str(h, 'DestName'), inner: Buffer.from(buf.subarray(end)) } };
    }
    case SerfMsg.ConflictResponse:
    case SerfMsg.KeyRequest:
    case SerfMsg.KeyResponse:
      return { type: t, body: map(buf) };
    default:
      throw new DecodeError(`unknown serf message type ${t}`);
  }
}

/** serf's tags in node meta: 0xff + msgpack map (protocol >= 3); anything else is a bare role. */
export function encodeTags(tags: Record<string, string>): Buffer {
  return Buffer.concat([Buffer.from([0xff]), encode(tags)]);
}

export function decodeTags(meta: Buffer): Record<string, string> {
  if (meta.length === 0) return {};
  if (meta[0] !== 0xff) return { role: meta.toString('utf8') };
  const m = asMap(decode(meta, 1).value, 'tags');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = text(v);
  return out;
}

/** A query filter that only the named nodes pass (type 0). */
export function nodeFilter(names: string[]): Buffer {
  return Buffer.concat([Buffer.from([0]), encode(names)]);
}

/** A query filter that members whose tag matches the (unanchored) regexp pass (type 1). */
export function tagFilter(tag: string, expr: string): Buffer {
  return Buffer.concat([Buffer.from([1]), encode({ Tag: tag, Expr: expr })]);
}

/**
 * Query filters, as serf's shouldProcessQuery: type 0 = node names, type 1 = {Tag, Expr}, Expr matched unanchored
 * against the tag's value ("" when the node lacks the tag). A filter that cannot be read, an unknown type, or an
 * Expr RE2 does not compile means the query is not for us; `warn` gets serf's words for why.
 */
export function filtersMatch(filters: Buffer[], self: { name: string; tags: Record<string, string> }, warn: (msg: string) => void = () => {}): boolean {
  for (const f of filters) {
    if (f.length < 1) return false;
    let value: Unpacked;
    try {
      value = decode(f, 1).value;
    } catch (err) {
      warn(`serf: failed to decode ${f[0] === 0 ? 'filterNodeType' : 'filterTagType'}: ${errorMessage(err)}`);
      return false;
    }
    if (f[0] === 0) {
      const names = Array.isArray(value) ? value.map(text) : [];
      if (!names.includes(self.name)) return false;
    } else if (f[0] === 1) {
      const m = asMap(value, 'tag filter');
      const expr = str(m, 'Expr');
      let re: CompiledRegex;
      try {
        re = compileFilterRegex(expr);
      } catch (err) {
        warn(`serf: failed to compile filter regex (${expr.length > 80 ? `${expr.slice(0, 80)}...` : expr}): ${errorMessage(err)}`);
        return false;
      }
      if (!re.test(self.tags[str(m, 'Tag')] ?? '')) return false;
    } else {
      warn(`serf: query has unrecognized filter type: ${f[0]}`);
      return false;
    }
  }
  return true;
}
