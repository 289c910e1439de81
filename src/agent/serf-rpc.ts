// serf's own RPC (msgpack over TCP, IPC version 1), so that the `serf` CLI and serf's client libraries drive an
// lbagent agent: `serf members`, `serf join`, `serf event`, `serf tags`, `serf keys`, `serf info`, and event
// streams. It shares the RPC address with the HTTP+JSON RPC: a msgpack map opens a serf session (the first byte
// tells them apart, see rpc.ts). Wire format: hashicorp/serf's client/const.go and agent/ipc.go (IPC version 1).
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { sameToken } from '../config/index.js';
import type { Logger } from 'pino';
import { asMap, bool, bytes, decode, encode, list, str, text, Truncated, uint, type MapValue, type Pack } from '../wire/msgpack/index.js';
import { ipToBytes, type KeyOpResult, type QueryOptions, type SerfEvent, type SerfMember } from '../gossip/index.js';
import { formatLogLine, monitorLevel } from '../log/index.js';
import { DropGate } from './drop-gate.js';
import { filterMatches, parseHandlerSpec } from './handlers.js';
import { filterMembersSerf } from './member-filter.js';
import { SERF_RPC_ERRORS as E, SerfRpcRefusal } from './serf-errors.js';
import { errorMessage } from '../errors/index.js';
import type { RpcTarget } from './rpc-target.js';

/** A msgpack map starts a serf RPC session; an HTTP request starts with a letter. */
export function startsSerfRpc(firstByte: number): boolean {
  return (firstByte & 0xf0) === 0x80 || firstByte === 0xde || firstByte === 0xdf;
}

/** Commands that carry a body after their header. */
const WITH_BODY = new Set([
  'handshake', 'auth', 'members-filtered', 'join', 'force-leave', 'event', 'tags', 'stream', 'monitor', 'stop', 'query', 'respond',
  'install-key', 'use-key', 'remove-key', 'get-coordinate',
]);

/** Queries delivered to a session's streams and not yet answered that it keeps (serf keeps them until their deadline). */
const MAX_PENDING_QUERIES = 1024;

/** A request larger than this is not waited for: the connection is closed. */
const MAX_REQUEST = 1 << 20;

/** A map of strings (serf's Tags), empty when absent. */
const strMap = (m: MapValue, k: string): Record<string, string> =>
  m[k] === undefined || m[k] === null ? {} : Object.fromEntries(Object.entries(asMap(m[k]!, k)).map(([name, v]) => [name, text(v)]));

function filteredMembers(t: RpcTarget, body: MapValue): SerfMember[] {
  try {
    return filterMembersSerf(t.members(), { name: str(body, 'Name') || undefined, status: str(body, 'Status') || undefined, tags: strMap(body, 'Tags') });
  } catch (err) {
    // serf's words for a pattern that does not compile (here: one RE2 refuses)
    throw new SerfRpcRefusal(E.regexCompile, errorMessage(err));
  }
}

export class SerfRpcSession {
  private buf: Buffer;
  private handshaken = false;
  private authed: boolean;
  /** event streams by the Seq that opened them (`stop` ends one) */
  private readonly streams = new Map<number, () => void>();
  /** queries this session's streams delivered, by ID, until answered with `respond` (the oldest go first) */
  private readonly pendingQueries = new Map<number, (payload: Buffer) => Promise<void>>();
  private chain = Promise.resolve();

  constructor(private readonly sock: Socket, first: Buffer, private readonly target: RpcTarget, private readonly authKey: string | undefined, private readonly log: Logger) {
    this.authed = !authKey;
    this.buf = first;
    sock.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.drain();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const stop of this.streams.values()) stop();
      this.streams.clear();
    });
    this.drain();
  }

  /** Take every complete request from the buffer; requests run one after another, in order. */
  private drain(): void {
    for (;;) {
      let command: string;
      let seq: number;
      let body: MapValue = {};
      let end: number;
      try {
        const h = decode(this.buf, 0);
        const header = asMap(h.value, 'request header');
        command = str(header, 'Command');
        seq = uint(header, 'Seq');
        end = h.end;
        if (WITH_BODY.has(command)) {
          const b = decode(this.buf, end);
          body = asMap(b.value, `${command} body`);
          end = b.end;
        }
      } catch (err) {
        if (err instanceof Truncated && this.buf.length <= MAX_REQUEST) return; // wait for the rest
        this.log.warn(`serf rpc: malformed request, closing the connection: ${errorMessage(err)}`);
        this.sock.destroy();
        return;
      }
      this.buf = this.buf.subarray(end);
      this.chain = this.chain.then(() => this.handle(command, seq, body)).catch((err: unknown) => this.reply(seq, errorMessage(err)));
    }
  }

  private reply(seq: number, error: string, body?: Pack): void {
    if (this.sock.destroyed) return;
    const header = encode({ Error: error, Seq: seq });
    this.sock.write(body === undefined ? header : Buffer.concat([header, encode(body)]));
  }

  private async handle(command: string, seq: number, body: MapValue): Promise<void> {
    if (command === 'handshake') {
      if (uint(body, 'Version') !== 1) throw new SerfRpcRefusal(E.unsupportedIpcVersion, uint(body, 'Version'));
      if (this.handshaken) throw new SerfRpcRefusal(E.duplicateHandshake);
      this.handshaken = true;
      return this.reply(seq, '');
    }
    if (!this.handshaken) throw new SerfRpcRefusal(E.handshakeRequired);
    if (command === 'auth') {
      if (!this.authKey || sameToken(str(body, 'AuthKey'), this.authKey)) {
        this.authed = true;
        return this.reply(seq, '');
      }
      throw new SerfRpcRefusal(E.invalidAuthToken);
    }
    if (!this.authed) throw new SerfRpcRefusal(E.authRequired);
    const run = SerfRpcSession.COMMANDS.get(command);
    // get-coordinate among others: lbagent keeps no network coordinates.
    if (!run) throw new SerfRpcRefusal(E.unsupportedCommand);
    return run(this, seq, body);
  }

  /** serf's RPC commands after the handshake and auth, one handler each. */
  private static readonly COMMANDS = new Map<string, (s: SerfRpcSession, seq: number, body: MapValue) => void | Promise<void>>([
    ['members', (s, seq) => s.reply(seq, '', { Members: s.target.members().map(memberMsg) })],
    ['members-filtered', (s, seq, body) => s.reply(seq, '', { Members: filteredMembers(s.target, body).map(memberMsg) })],
    ['join', async (s, seq, body) => {
      const num = await s.target.join(list(body, 'Existing').map(text), bool(body, 'Replay'));
      s.reply(seq, '', { Num: num });
    }],
    ['leave', (s, seq) => {
      s.reply(seq, '');
      setImmediate(() => void s.target.leave());
    }],
    ['force-leave', async (s, seq, body) => {
      await s.target.forceLeave(str(body, 'Node'), bool(body, 'Prune'));
      s.reply(seq, '');
    }],
    ['event', async (s, seq, body) => {
      await s.target.userEvent(str(body, 'Name'), bytes(body, 'Payload'), bool(body, 'Coalesce'));
      s.reply(seq, '');
    }],
    ['tags', async (s, seq, body) => {
      await s.target.setTags(strMap(body, 'Tags'), list(body, 'DeleteTags').map(text));
      s.reply(seq, '');
    }],
    ['stats', (s, seq) => s.reply(seq, '', s.stats())],
    ['install-key', (s, seq, body) => s.keyOp('install', seq, body)],
    ['use-key', (s, seq, body) => s.keyOp('use', seq, body)],
    ['remove-key', (s, seq, body) => s.keyOp('remove', seq, body)],
    ['list-keys', (s, seq, body) => s.keyOp('list', seq, body)],
    ['stream', (s, seq, body) => s.stream(seq, str(body, 'Type') || '*')],
    ['query', (s, seq, body) => s.query(seq, body)],
    ['monitor', (s, seq, body) => s.monitor(seq, str(body, 'LogLevel') || 'INFO')],
    ['respond', (s, seq, body) => s.respond(seq, body)],
    ['stop', (s, seq, body) => {
      const stream = uint(body, 'Stop');
      s.streams.get(stream)?.();
      s.streams.delete(stream);
      s.reply(seq, '');
    }],
  ]);

  private async keyOp(op: 'install' | 'use' | 'remove' | 'list', seq: number, body: MapValue): Promise<void> {
    const r = await this.target.keyOp(op, op === 'list' ? undefined : bytes(body, 'Key').toString('utf8'));
    this.reply(seq, r.numErr || r.numResp < r.numNodes ? `${r.numResp - r.numErr}/${r.numNodes} nodes reported success` : '', keysMsg(r));
  }

  /** The answer to a query this session was streamed, by its ID. */
  private async respond(seq: number, body: MapValue): Promise<void> {
    const id = uint(body, 'ID');
    const respond = this.pendingQueries.get(id);
    if (!respond) throw new SerfRpcRefusal(E.invalidQueryId);
    this.pendingQueries.delete(id);
    await respond(bytes(body, 'Payload'));
    this.reply(seq, '');
  }

  /** serf's event stream: an ack, then one header + record per event that passes the filter. */
  private stream(seq: number, type: string): void {
    const spec = parseHandlerSpec(`${type}=stream`);
    if ('error' in spec) throw new SerfRpcRefusal(spec.error);
    if (this.streams.has(seq)) throw new SerfRpcRefusal(E.streamExists);
    this.reply(seq, '');
    const gate = this.dropGate('error', 'events');
    const unsubscribe = this.target.subscribe((e: SerfEvent) => {
      if (!filterMatches(spec.filters, e) || !gate.pass()) return;
      if (e.type === 'user') this.reply(seq, '', { Event: 'user', LTime: e.ltime, Name: e.name, Payload: e.payload, Coalesce: e.coalesce });
      else if (e.type === 'query') {
        this.pendingQueries.set(e.id, e.respond);
        if (this.pendingQueries.size > MAX_PENDING_QUERIES) this.pendingQueries.delete(this.pendingQueries.keys().next().value!);
        this.reply(seq, '', { Event: 'query', ID: e.id, LTime: e.ltime, Name: e.name, Payload: e.payload });
      }
      else this.reply(seq, '', { Event: e.type, Members: e.members.map(memberMsg) });
    });
    this.streams.set(seq, unsubscribe);
  }

  /** `serf monitor`: an ack, then the agent's kept log lines and each new one, as {Log} records, until `stop`. */
  private monitor(seq: number, levelName: string): void {
    const min = monitorLevel(levelName);
    if (min === undefined) throw new SerfRpcRefusal(E.unknownLogLevel, levelName);
    if (this.streams.has(seq)) throw new SerfRpcRefusal(E.monitorExists);
    this.reply(seq, '');
    const gate = this.dropGate('warn', 'logs');
    this.streams.set(seq, this.target.monitor(min, (e) => gate.pass() && this.reply(seq, '', { Log: formatLogLine(e) })));
  }

  /** For a monitor or an event stream on this connection: drop, as serf does, what a stuck client would pile up. */
  private dropGate(level: 'warn' | 'error', what: string): DropGate {
    return new DropGate(() => this.sock.writableLength, () => this.log[level](`agent.ipc: Dropping ${what} to ${this.sock.remoteAddress ?? '?'}:${this.sock.remotePort ?? '?'}`));
  }

  /**
   * `serf query`: the header at once, then one record per ack and per response as they arrive, and a `done`
   * record at the timeout. It runs beside the session's other commands (a `stop` or `members` need not wait).
   */
  private query(seq: number, body: MapValue): void {
    const record = (type: 'ack' | 'response' | 'done', from = '', payload: Buffer | null = null) => this.reply(seq, '', { Type: type, From: from, Payload: payload });
    const timeoutNs = uint(body, 'Timeout');
    const opts: QueryOptions = {
      filterNodes: list(body, 'FilterNodes').map(text),
      filterTags: strMap(body, 'FilterTags'),
      requestAck: bool(body, 'RequestAck'),
      timeoutMs: timeoutNs > 0 ? timeoutNs / 1e6 : undefined,
      onAck: (from) => record('ack', from),
      onResponse: (from, payload) => record('response', from, payload),
    };
    let dispatched = false;
    opts.onDispatched = () => {
      dispatched = true;
      this.reply(seq, '');
    };
    // A query refused outright (too large, bad tag expression) is the header's error, and no record follows.
    this.target.query(str(body, 'Name'), bytes(body, 'Payload'), opts).then(
      () => record('done'),
      (err: unknown) => (dispatched ? record('done') : this.reply(seq, errorMessage(err))),
    );
  }

  /** `serf info`: sections of string values. */
  private stats(): Pack {
    const info = this.target.info();
    const s = this.target.stats() as { members?: number; failed?: number; left?: number; memberTime?: number; eventTime?: number; queryTime?: number; healthScore?: number };
    const str = (n: number | undefined) => String(n ?? 0);
    return {
      agent: { name: info.name },
      runtime: { os: process.platform, arch: process.arch, version: `node ${process.version}`, max_procs: String(availableParallelism()), cpu_count: String(availableParallelism()) },
      serf: {
        members: str(s.members), failed: str(s.failed), left: str(s.left), member_time: str(s.memberTime), event_time: str(s.eventTime),
        query_time: str(s.queryTime), health_score: str(s.healthScore),
      },
      tags: info.tags,
    };
  }
}


function memberMsg(m: SerfMember): Pack {
  return {
    Name: m.name, Addr: ipToBytes(m.addr), Port: m.port, Tags: m.tags, Status: m.status,
    ProtocolMin: m.protocol.min, ProtocolMax: m.protocol.max, ProtocolCur: m.protocol.cur,
    DelegateMin: m.protocol.delegateMin, DelegateMax: m.protocol.delegateMax, DelegateCur: m.protocol.delegateCur,
  };
}

function keysMsg(r: KeyOpResult): Pack {
  return { Messages: r.messages, Keys: r.keys, NumNodes: r.numNodes, NumErr: r.numErr, NumResp: r.numResp };
}
