// The serf layer on memberlist: member status with Lamport-clocked join/leave intents, user events with their
// de-duplication buffer, queries, tags in node meta, push/pull of serf state, coalescing, reaping and reconnects.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { MemberNode, MemberlistDelegate, MemberlistEvents } from '../memberlist/api.js';
import { createMemberlist } from '../memberlist/memberlist.js';
import { BroadcastQueue } from '../memberlist/queue.js';
import { DecodeError, encode, Float } from '../../wire/msgpack/index.js';
import type { QueryOptions, Serf, SerfConfig, SerfEvent, SerfMember, SerfMemberStatus } from './api.js';
import { errorMessage } from '../../errors/index.js';
import { Coalescer } from './coalesce.js';
import { compileFilterRegex } from './filter-regex.js';
import { applyKeyRequest, keyRequest, keyResponse, summarize, type KeyOp, type KeyOpResult } from './keys.js';
import { LamportClock } from './lamport.js';
import { openSnapshot, type PreviousNode, type Snapshotter } from './snapshot.js';
import { assertValidLocalNode, nodeNameProblem } from '../memberlist/validate.js';
import {
  decodeSerf, decodeTags, encodeJoin, encodeLeave, encodePushPull, encodeQuery, encodeQueryResponse, encodeTags, encodeUserEvent, filtersMatch, nodeFilter, tagFilter,
  QUERY_FLAG_ACK, QUERY_FLAG_NO_BROADCAST, SerfMsg, type LeaveIntent, type QueryMsg, type SerfPushPull, type UserEventEntry,
} from './messages.js';

const USER_EVENT_SIZE_LIMIT = 512;
const QUERY_SIZE_LIMIT = 1024;
const QUERY_RESPONSE_SIZE_LIMIT = 1024;
const QUERY_TIMEOUT_MULT = 16;
const BROADCAST_TIMEOUT_MS = 5000;
const MAX_QUEUE_DEPTH = 4096;
/** serf's clockUpdateInterval: how often the member clock is written to the snapshot */
const SNAPSHOT_CLOCK_INTERVAL_MS = 500;

interface MemberRecord {
  member: SerfMember;
  statusLTime: number;
  /** when it became failed or left (reaping) */
  leaveTime: number;
}

interface Intent {
  type: 'join' | 'leave';
  ltime: number;
  at: number;
}

type Memberlist = Awaited<ReturnType<typeof createMemberlist>> & { sendToAddress?(addr: string, port: number, msg: Buffer): void };

export async function createSerf(config: SerfConfig): Promise<Serf> {
  const s = new SerfNode(config);
  await s.start();
  return s;
}

class SerfNode implements Serf, MemberlistDelegate, MemberlistEvents {
  private ml!: Memberlist;
  private readonly log?: Logger;
  private tags: Record<string, string>;
  private readonly records = new Map<string, MemberRecord>();
  private readonly recentIntents = new Map<string, Intent>();
  private readonly clock = new LamportClock();
  private readonly eventClock = new LamportClock();
  private readonly queryClock = new LamportClock();
  private readonly intentQueue: BroadcastQueue;
  private readonly eventQueue: BroadcastQueue;
  private readonly queryQueue: BroadcastQueue;
  private readonly eventBuffer: (UserEventEntry | null)[];
  private readonly queryBuffer: ({ ltime: number; ids: number[] } | null)[];
  private eventMinTime = 0;
  private queryMinTime = 0;
  private snapshot?: Snapshotter;
  private eventJoinIgnore = false;
  private replaying = false;
  private readonly listeners = new Set<(e: SerfEvent) => void>();
  private readonly responseHandlers = new Map<number, { collect(from: string, payload: Buffer, ack: boolean): void }>();
  private leaving = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private dropped = 0;
  private readonly dropReasons: Record<string, number> = {};
  private memberCoalescer?: Coalescer;
  private userCoalescer?: Coalescer;

  constructor(private readonly cfg: SerfConfig) {
    this.log = cfg.logger;
    this.tags = { ...cfg.tags };
    const numNodes = () => this.records.size;
    this.intentQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
    this.eventQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
    this.queryQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
    this.eventBuffer = new Array(cfg.eventBuffer ?? 512).fill(null);
    this.queryBuffer = new Array(cfg.queryBuffer ?? 512).fill(null);
    assertValidLocalNode(cfg.nodeName, encodeTags(this.tags)); // before anything binds
  }

  async start(): Promise<void> {
    let previous: PreviousNode[] = [];
    let old = { clock: 0, eventClock: 0, queryClock: 0 };
    if (this.cfg.snapshotPath) {
      const { snapshotter, recovered } = openSnapshot({
        path: this.cfg.snapshotPath,
        rejoinAfterLeave: this.cfg.rejoinAfterLeave ?? false,
        clock: () => this.clock.time(),
        log: this.log,
        minCompactSize: this.cfg.snapshotMinCompactSize,
      });
      this.snapshot = snapshotter;
      previous = recovered.alive.filter((p) => p.name !== this.cfg.nodeName);
      old = recovered;
      // Events and queries up to the clocks we had already seen are history: never delivered twice.
      this.eventMinTime = recovered.eventClock + 1;
      this.queryMinTime = recovered.queryClock + 1;
      this.log?.info(`serf: snapshot ${this.cfg.snapshotPath}: ${previous.length} previously known node(s), clock ${recovered.clock}, event-clock ${recovered.eventClock}, query-clock ${recovered.queryClock}`);
    } else if (this.cfg.rejoinAfterLeave) {
      this.log?.warn("serf: 'RejoinAfterLeave' enabled without snapshot file");
    }
    this.clock.increment();
    this.eventClock.increment();
    this.queryClock.increment();
    // Restored clocks: our next intents and events are newer than anything we sent before the restart.
    this.clock.witness(old.clock);
    this.eventClock.witness(old.eventClock);
    this.queryClock.witness(old.queryClock);
    const emit = (e: SerfEvent) => this.deliver(e);
    if (this.cfg.coalesceMemberEvents) this.memberCoalescer = new Coalescer('member', this.cfg.coalesceMemberEvents, emit);
    if (this.cfg.coalesceUserEvents) this.userCoalescer = new Coalescer('user', this.cfg.coalesceUserEvents, emit);
    this.ml = (await createMemberlist({
      name: this.cfg.nodeName,
      bindAddr: this.cfg.bindAddr,
      bindPort: this.cfg.bindPort,
      advertiseAddr: this.cfg.advertiseAddr,
      advertisePort: this.cfg.advertisePort,
      profile: this.cfg.profile,
      keys: (this.cfg.encryptKeys ?? []).map((k) => Buffer.from(k, 'base64')),
      logger: this.log,
      delegate: this,
      events: this,
      // serf's delegate protocol: speaks 5, understands 2..5 (what serf 0.9.x and 0.10.x advertise).
      delegateProtocolMin: 2,
      delegateProtocolMax: 5,
      delegateProtocolVersion: 5,
      ...this.cfg.memberlist,
    })) as Memberlist;
    this.retransmitMult = this.cfg.memberlist?.retransmitMult ?? (this.cfg.profile === 'local' ? 2 : 4);
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        if (!this.stopped) fn();
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.cfg.reapIntervalMs ?? 15_000, () => this.reap());
    every(this.cfg.reconnectIntervalMs ?? 30_000, () => void this.reconnect());
    every(1000, () => this.pruneRecentIntents());
    if (this.snapshot) every(SNAPSHOT_CLOCK_INTERVAL_MS, () => this.snapshot?.updateClock());
    // Next turn: whoever created us subscribes first (createSerf resolves before any packet can arrive), so the
    // events the rejoin brings (pauses sent while we were away) have a listener.
    if (previous.length) setImmediate(() => void this.rejoin(previous));
  }

  private retransmitMult = 4;

  // ---------------------------------------------------------------- subscribers
  subscribe(listener: (e: SerfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private deliver(e: SerfEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log?.error({ err }, 'serf: event listener failed');
      }
    }
  }

  private emitMember(type: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap', m: SerfMember): void {
    this.log?.info(`serf: EventMember${type.slice(7, 8).toUpperCase()}${type.slice(8)}: ${m.name} ${m.addr}`);
    if (type === 'member-join') this.snapshot?.memberAlive(m.name, m.addr, m.port);
    else if (type === 'member-leave' || type === 'member-failed') this.snapshot?.memberGone(m.name);
    const e: SerfEvent = { type, members: [{ ...m, tags: { ...m.tags } }] };
    if (this.memberCoalescer) this.memberCoalescer.add(e);
    else this.deliver(e);
  }

  // ---------------------------------------------------------------- memberlist delegate
  nodeMeta(limit: number): Buffer {
    const meta = encodeTags(this.tags);
    if (meta.length > limit) throw new Error(`Node tags '${JSON.stringify(this.tags)}' exceeds length limit of ${limit} bytes`);
    return meta;
  }

  getBroadcasts(overhead: number, limit: number): Buffer[] {
    const out = this.intentQueue.getBroadcasts(overhead, limit);
    let used = out.reduce((n, b) => n + b.length + overhead, 0);
    for (const q of [this.eventQueue, this.queryQueue]) {
      const more = q.getBroadcasts(overhead, limit - used);
      used += more.reduce((n, b) => n + b.length + overhead, 0);
      out.push(...more);
    }
    return out;
  }

  ackPayload(): Buffer {
    // Ping version 1 + a zero Vivaldi coordinate: serf peers decode it for their RTT estimates.
    return Buffer.concat([Buffer.from([1]), encode({ Adjustment: new Float(0), Error: new Float(1.5), Height: new Float(1e-5), Vec: Array.from({ length: 8 }, () => new Float(0)) })]);
  }

  localState(join: boolean): Buffer {
    void join;
    const statusLTimes: Record<string, number> = {};
    const leftMembers: string[] = [];
    for (const [name, r] of this.records) {
      statusLTimes[name] = r.statusLTime;
      if (r.member.status === 'left') leftMembers.push(name);
    }
    const pp: SerfPushPull = {
      ltime: this.clock.time(),
      statusLTimes,
      leftMembers,
      eventLTime: this.eventClock.time(),
      events: this.eventBuffer,
      queryLTime: this.queryClock.time(),
    };
    return encodePushPull(pp);
  }

  mergeRemoteState(buf: Buffer, join: boolean): void {
    let msg;
    try {
      msg = decodeSerf(buf);
    } catch (err) {
      this.drop('malformed');
      return void this.log?.warn(`serf: Failed to decode remote state: ${errorMessage(err)}`);
    }
    if (msg.type !== SerfMsg.PushPull) return void this.drop('malformed');
    const pp = msg.body;
    if (pp.ltime > 0) this.clock.witness(pp.ltime - 1);
    if (pp.eventLTime > 0) this.eventClock.witness(pp.eventLTime - 1);
    if (pp.queryLTime > 0) this.queryClock.witness(pp.queryLTime - 1);
    const left = new Set(pp.leftMembers);
    for (const [name, ltime] of Object.entries(pp.statusLTimes)) {
      if (nodeNameProblem(name)) {
        this.drop('invalid node name');
        continue;
      }
      // As serf: a left member's leave at the time the remote holds, so two members merging each other's state
      // agree on it instead of raising it by one on every push/pull.
      if (left.has(name)) this.handleLeaveIntent({ ltime, node: name, prune: false }, false);
      else this.handleJoinIntent({ ltime, node: name }, false);
    }
    // On a join, events older than the remote's clock are history: skip them unless replaying.
    if (join && this.eventJoinIgnore) this.eventMinTime = Math.max(this.eventMinTime, pp.eventLTime);
    const replay = join && this.replaying;
    for (const entry of pp.events) {
      if (!entry) continue;
      for (const e of entry.events) this.handleUserEvent({ ltime: entry.ltime, name: e.name, payload: e.payload, cc: false }, false, replay);
    }
  }

  notifyMsg(buf: Buffer): void {
    let msg;
    try {
      msg = decodeSerf(buf);
    } catch (err) {
      this.drop('malformed');
      if (!(err instanceof DecodeError)) this.log?.warn({ err }, 'serf: error decoding a message');
      return;
    }
    // Intents would be kept (recent intents) under any name a peer makes up: hold them to serf's limits.
    const named = msg.type === SerfMsg.Join || msg.type === SerfMsg.Leave ? msg.body.node : msg.type === SerfMsg.QueryResponse ? msg.body.from : undefined;
    if (named !== undefined && nodeNameProblem(named)) return this.drop('invalid node name');
    switch (msg.type) {
      case SerfMsg.Join:
        return void this.handleJoinIntent(msg.body, true);
      case SerfMsg.Leave:
        return void this.handleLeaveIntent(msg.body, true);
      case SerfMsg.UserEvent:
        return void this.handleUserEvent(msg.body, true, false);
      case SerfMsg.Query:
        return this.handleQuery(msg.body, buf);
      case SerfMsg.QueryResponse:
        return this.responseHandlers.get(msg.body.id)?.collect(msg.body.from, msg.body.payload, (msg.body.flags & QUERY_FLAG_ACK) !== 0);
      case SerfMsg.Relay:
        // Forward the inner message to its destination, as serf's relay does.
        return this.sendToAddress(msg.body.destAddr, msg.body.destPort, msg.body.inner);
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- memberlist events
  private memberOf(n: MemberNode, status: SerfMemberStatus): SerfMember {
    let tags: Record<string, string> = {};
    try {
      tags = decodeTags(n.meta);
    } catch {
      this.drop('malformed tags');
    }
    const v = n.vsn;
    return { name: n.name, addr: n.addr, port: n.port, tags, status, protocol: { min: v[0], max: v[1], cur: v[2], delegateMin: v[3], delegateMax: v[4], delegateCur: v[5] } };
  }

  notifyJoin(n: MemberNode): void {
    const existing = this.records.get(n.name);
    const member = this.memberOf(n, 'alive');
    if (existing) {
      existing.member = { ...member, status: existing.member.status === 'leaving' ? 'leaving' : 'alive' };
      existing.leaveTime = 0;
    } else {
      this.records.set(n.name, { member, statusLTime: 0, leaveTime: 0 });
    }
    const rec = this.records.get(n.name)!;
    // An intent that arrived before the node did.
    const intent = this.recentIntents.get(n.name);
    if (intent && intent.ltime > rec.statusLTime) {
      rec.statusLTime = intent.ltime;
      if (intent.type === 'leave') rec.member.status = 'leaving';
      this.recentIntents.delete(n.name);
    }
    this.emitMember('member-join', rec.member);
  }

  notifyLeave(n: MemberNode): void {
    const rec = this.records.get(n.name);
    if (!rec) return;
    const status: SerfMemberStatus = rec.member.status === 'leaving' || n.state === 'left' ? 'left' : 'failed';
    rec.member = { ...this.memberOf(n, status) };
    rec.leaveTime = Date.now();
    this.emitMember(status === 'left' ? 'member-leave' : 'member-failed', rec.member);
  }

  notifyUpdate(n: MemberNode): void {
    const rec = this.records.get(n.name);
    if (!rec) return;
    rec.member = this.memberOf(n, rec.member.status);
    this.emitMember('member-update', rec.member);
  }

  // ---------------------------------------------------------------- intents
  private handleJoinIntent(j: { ltime: number; node: string }, rebroadcast: boolean): boolean {
    this.clock.witness(j.ltime);
    const rec = this.records.get(j.node);
    if (!rec) {
      this.recordIntent(j.node, 'join', j.ltime);
      return false;
    }
    if (j.ltime <= rec.statusLTime) return false;
    rec.statusLTime = j.ltime;
    if (rec.member.status === 'leaving') rec.member.status = 'alive';
    if (rebroadcast) this.intentQueue.queue({ name: `intent:${j.node}`, message: encodeJoin(j) });
    return true;
  }

  private handleLeaveIntent(l: LeaveIntent, rebroadcast: boolean): boolean {
    this.clock.witness(l.ltime);
    if (l.node === this.cfg.nodeName && !this.leaving) {
      // Someone thinks we are leaving: refute with a fresh join intent.
      const ltime = this.clock.time();
      this.clock.increment();
      this.intentQueue.queue({ name: `intent:${l.node}`, message: encodeJoin({ ltime, node: l.node }) });
      return false;
    }
    const rec = this.records.get(l.node);
    if (!rec) {
      this.recordIntent(l.node, 'leave', l.ltime);
      return false;
    }
    if (l.ltime <= rec.statusLTime) return false;
    rec.statusLTime = l.ltime;
    if (rec.member.status === 'alive') rec.member.status = 'leaving';
    else if (rec.member.status === 'failed') {
      rec.member.status = 'left';
      rec.leaveTime = Date.now();
      this.emitMember('member-leave', rec.member);
    }
    if (l.prune) this.eraseMember(l.node);
    if (rebroadcast) this.intentQueue.queue({ name: `intent:${l.node}`, message: encodeLeave(l) });
    return true;
  }

  private recordIntent(node: string, type: 'join' | 'leave', ltime: number): void {
    const cur = this.recentIntents.get(node);
    if (!cur || ltime > cur.ltime) this.recentIntents.set(node, { type, ltime, at: Date.now() });
  }

  private pruneRecentIntents(): void {
    const horizon = Date.now() - (this.cfg.recentIntentTimeoutMs ?? 5 * 60_000);
    for (const [k, v] of this.recentIntents) if (v.at < horizon) this.recentIntents.delete(k);
  }

  // ---------------------------------------------------------------- user events
  private handleUserEvent(e: { ltime: number; name: string; payload: Buffer; cc: boolean }, rebroadcast: boolean, replayed: boolean): boolean {
    this.eventClock.witness(e.ltime);
    if (e.ltime < this.eventMinTime) return false;
    const size = this.eventBuffer.length;
    const cur = this.eventClock.time();
    if (cur > size && e.ltime < cur - size) return false;
    const idx = e.ltime % size;
    let slot = this.eventBuffer[idx];
    if (slot && slot.ltime === e.ltime) {
      if (slot.events.some((x) => x.name === e.name && x.payload.equals(e.payload))) return false;
    } else {
      slot = { ltime: e.ltime, events: [] };
      this.eventBuffer[idx] = slot;
    }
    slot.events.push({ name: e.name, payload: e.payload });
    this.snapshot?.userEvent(e.ltime);
    if (rebroadcast) this.eventQueue.queue({ message: encodeUserEvent(e), unique: true });
    const ev: SerfEvent = { type: 'user', name: e.name, payload: e.payload, ltime: e.ltime, coalesce: e.cc, replayed };
    this.log?.debug(`serf: user event ${e.name} ltime ${e.ltime}`);
    if (e.cc && this.userCoalescer) this.userCoalescer.add(ev);
    else this.deliver(ev);
    return true;
  }

  async userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void> {
    if (name.length + payload.length > USER_EVENT_SIZE_LIMIT) throw new Error(`user event exceeds configured limit of ${USER_EVENT_SIZE_LIMIT} bytes before encoding`);
    const ltime = this.eventClock.time();
    this.eventClock.increment();
    this.handleUserEvent({ ltime, name, payload, cc: coalesce }, true, false);
  }

  // ---------------------------------------------------------------- queries
  /** A user message to an address (query responses, relays): a known member's entry, or one shaped like ours. */
  private sendToAddress(addr: string, port: number, msg: Buffer): void {
    const known = this.ml.members().find((n) => n.addr === addr && n.port === port);
    this.ml.sendBestEffort(known ?? { ...this.ml.localNode(), name: `${addr}:${port}`, addr, port }, msg);
  }

  private defaultQueryTimeout(): number {
    const gossip = this.cfg.memberlist?.gossipIntervalMs ?? (this.cfg.profile === 'wan' ? 500 : this.cfg.profile === 'local' ? 100 : 200);
    return gossip * QUERY_TIMEOUT_MULT * Math.ceil(Math.log10(this.records.size + 1));
  }

  private handleQuery(q: QueryMsg, raw: Buffer): void {
    this.queryClock.witness(q.ltime);
    if (q.ltime < this.queryMinTime) return;
    const size = this.queryBuffer.length;
    const idx = q.ltime % size;
    let slot = this.queryBuffer[idx];
    if (slot && slot.ltime === q.ltime) {
      if (slot.ids.includes(q.id)) return;
    } else {
      slot = { ltime: q.ltime, ids: [] };
      this.queryBuffer[idx] = slot;
    }
    slot.ids.push(q.id);
    this.snapshot?.query(q.ltime);
    if ((q.flags & QUERY_FLAG_NO_BROADCAST) === 0) this.queryQueue.queue({ message: raw, unique: true });
    let matches = false;
    try {
      matches = filtersMatch(q.filters, { name: this.cfg.nodeName, tags: this.tags }, (msg) => this.log?.warn(msg));
    } catch {
      this.drop('malformed query filter');
    }
    if (!matches) return;
    const reply = (flags: number, payload: Buffer) =>
      this.sendToAddress(q.addr, q.port, encodeQueryResponse({ ltime: q.ltime, id: q.id, from: this.cfg.nodeName, flags, payload }));
    if (q.flags & QUERY_FLAG_ACK) reply(QUERY_FLAG_ACK, Buffer.alloc(0));
    if (q.name.startsWith('_serf_')) return this.internalQuery(q, (p) => reply(0, p));
    const deadline = Date.now() + q.timeoutNs / 1e6;
    let responded = false;
    this.deliver({
      type: 'query',
      name: q.name,
      payload: q.payload,
      ltime: q.ltime,
      id: q.id,
      respond: async (payload: Buffer) => {
        if (responded) throw new Error('response already sent');
        if (Date.now() > deadline) throw new Error('response is past the deadline');
        if (payload.length > QUERY_RESPONSE_SIZE_LIMIT) throw new Error(`response exceeds limit of ${QUERY_RESPONSE_SIZE_LIMIT} bytes`);
        responded = true;
        reply(0, payload);
      },
    });
  }

  /** serf's internal queries: answer what we can, never break on the rest. */
  private internalQuery(q: QueryMsg, respond: (p: Buffer) => void): void {
    const op = /^_serf_(install|use|remove|list)-keys?$/.exec(q.name)?.[1] as KeyOp | undefined;
    if (!op) return; // _serf_ping and others: nothing to say
    const ring = this.ml.keyring();
    const { result, message } = applyKeyRequest(ring, op, q.payload);
    if (op !== 'list') this.log?.info(`serf: ${op} key query from ${q.sourceNode}: ${result ? 'done' : message}`);
    respond(keyResponse(ring, result, message));
  }

  /** `serf keys`: change (or list) the keyring of every alive member, and sum up their answers. */
  async keyOp(op: KeyOp, key?: string): Promise<KeyOpResult> {
    let payload: Buffer = Buffer.alloc(0);
    if (op !== 'list') {
      if (!this.ml.keyring().keys().length) throw new Error('No keyring to modify (encryption not enabled)');
      const raw = Buffer.from(key ?? '', 'base64');
      if (![16, 24, 32].includes(raw.length)) throw new Error(`key must be 16, 24 or 32 bytes base64-encoded, got ${raw.length} bytes`);
      payload = keyRequest(raw);
    }
    const alive = [...this.records.values()].filter((r) => r.member.status === 'alive').length;
    const responses = await this.query(`_serf_${op}-key${op === 'list' ? 's' : ''}`, payload, { expect: alive });
    return summarize(alive, responses);
  }

  async query(name: string, payload: Buffer, opts: QueryOptions = {}): Promise<Array<{ from: string; payload: Buffer }>> {
    // Whole nanoseconds on the wire (Go's time.Duration), and a wait setTimeout can hold (≤ 2^31-1 ms).
    const timeoutMs = Math.min(Math.max(1, Math.round(opts.timeoutMs ?? this.defaultQueryTimeout())), 2 ** 31 - 1);
    // A bad expression is the caller's error, not every member's: each would refuse the query (see filtersMatch).
    for (const expr of Object.values(opts.filterTags ?? {})) compileFilterRegex(expr);
    const filters = [
      ...(opts.filterNodes?.length ? [nodeFilter(opts.filterNodes)] : []),
      ...Object.entries(opts.filterTags ?? {}).map(([tag, expr]) => tagFilter(tag, expr)),
    ];
    const me = this.ml.localNode();
    const q: QueryMsg = {
      ltime: this.queryClock.time(), id: randomInt(2 ** 31), addr: me.addr, port: me.port, sourceNode: me.name, filters,
      flags: opts.requestAck ? QUERY_FLAG_ACK : 0, relayFactor: 0, timeoutNs: timeoutMs * 1e6, name, payload,
    };
    this.queryClock.increment();
    const raw = encodeQuery(q);
    if (raw.length > QUERY_SIZE_LIMIT) throw new Error(`query exceeds limit of ${QUERY_SIZE_LIMIT} bytes`);
    const responses: Array<{ from: string; payload: Buffer }> = [];
    const acked = new Set<string>();
    const answered = new Set<string>();
    let allIn: () => void = () => {};
    const done = new Promise<void>((r) => (allIn = r));
    this.responseHandlers.set(q.id, {
      collect: (from, p, ack) => {
        if (ack) {
          if (acked.has(from)) return;
          acked.add(from);
          return opts.onAck?.(from);
        }
        if (answered.has(from)) return;
        answered.add(from);
        responses.push({ from, payload: p });
        opts.onResponse?.(from, p);
        if (opts.expect !== undefined && responses.length >= opts.expect) allIn();
      },
    });
    opts.onDispatched?.();
    this.handleQuery(q, raw);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutMs)).unref())]);
    clearTimeout(timer);
    this.responseHandlers.delete(q.id);
    return responses;
  }

  // ---------------------------------------------------------------- membership operations
  localMember(): SerfMember {
    return this.records.get(this.cfg.nodeName)?.member ?? this.memberOf(this.ml.localNode(), 'alive');
  }

  members(): SerfMember[] {
    return [...this.records.values()].map((r) => ({ ...r.member, tags: { ...r.member.tags } }));
  }

  async join(addrs: string[], replay = false): Promise<number> {
    return this.joinCluster(addrs, !replay, replay);
  }

  /**
   * `ignoreOld`: events the peers hold from before our join are history (serf's eventJoinIgnore); a rejoin from the
   * snapshot leaves it off, so what was sent while we were away is delivered (the snapshot's event-clock already
   * keeps out what we had seen).
   */
  private async joinCluster(addrs: string[], ignoreOld: boolean, replay: boolean): Promise<number> {
    this.eventJoinIgnore = ignoreOld;
    this.replaying = replay;
    try {
      const n = await this.ml.join(addrs);
      // Tell everyone we joined, with a fresh Lamport time.
      const ltime = this.clock.time();
      this.clock.increment();
      const rec = this.records.get(this.cfg.nodeName);
      if (rec) rec.statusLTime = ltime;
      this.intentQueue.queue({ name: `intent:${this.cfg.nodeName}`, message: encodeJoin({ ltime, node: this.cfg.nodeName }) });
      return n;
    } finally {
      this.eventJoinIgnore = false;
      this.replaying = false;
    }
  }

  /**
   * serf's force-leave: mark a failed member as left everywhere (so it is not reconnected to), and with `prune`
   * erase it from the member list at once.
   */
  async forceLeave(node: string, prune = false): Promise<void> {
    const bad = nodeNameProblem(node);
    if (bad) throw new Error(bad); // no member has such a name, and no peer would take the intent
    // Go past the node's status time as we know it: an intent at that same time would be ignored by members
    // that already hold it (a prune right after a force-leave).
    const known = this.records.get(node)?.statusLTime ?? 0;
    this.clock.witness(known + 1);
    const msg = { ltime: this.clock.time(), node, prune };
    this.clock.increment();
    this.handleLeaveIntent(msg, true);
    const others = [...this.records.values()].some((r) => r.member.name !== this.cfg.nodeName && r.member.status === 'alive');
    if (others && !(await this.intentQueue.drained(BROADCAST_TIMEOUT_MS))) throw new Error('timed out broadcasting node removal');
  }

  /**
   * serf's handleRejoin: try the members the snapshot knew, in random order, until one answers. serf tries once; we
   * go on (backing off to the reconnect interval) while no one else is alive, so a node that comes back before its
   * peers still finds them with no one's help.
   */
  private async rejoin(previous: PreviousNode[]): Promise<void> {
    const order = [...previous];
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let delay = 1000;
    const cap = this.cfg.reconnectIntervalMs ?? 30_000;
    for (;;) {
      for (const p of order) {
        if (this.stopped || this.leaving) return;
        this.log?.info(`serf: Attempting re-join to previously known node: ${p.name}: ${p.addr}`);
        try {
          await this.joinCluster([p.addr], false, false);
          this.log?.info(`serf: Re-joined to previously known node: ${p.name}: ${p.addr}`);
          return;
        } catch {
          // memberlist logged why; try the next one
        }
      }
      if (this.stopped || this.leaving) return;
      this.log?.warn(`serf: Failed to re-join any previously known node${this.hasAlivePeers() ? '' : `, trying again in ${delay / 1000}s`}`);
      if (this.hasAlivePeers()) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      if (this.hasAlivePeers()) return; // someone joined us meanwhile
      delay = Math.min(delay * 2, cap);
    }
  }

  private hasAlivePeers(): boolean {
    for (const r of this.records.values()) if (r.member.name !== this.cfg.nodeName && r.member.status === 'alive') return true;
    return false;
  }

  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.snapshot?.leave();
    const ltime = this.clock.time();
    this.clock.increment();
    const self = this.records.get(this.cfg.nodeName);
    if (self) {
      self.statusLTime = ltime;
      self.member.status = 'leaving';
    }
    const others = [...this.records.values()].some((r) => r.member.name !== this.cfg.nodeName && r.member.status === 'alive');
    if (others) {
      this.intentQueue.queue({ name: `intent:${this.cfg.nodeName}`, message: encodeLeave({ ltime, node: this.cfg.nodeName, prune: false }) });
      await this.intentQueue.drained(BROADCAST_TIMEOUT_MS);
    }
    await this.ml.leave(BROADCAST_TIMEOUT_MS);
    if (others) await new Promise((r) => setTimeout(r, Math.min(1000, (this.cfg.memberlist?.probeIntervalMs ?? 1000))).unref());
    if (self) self.member.status = 'left';
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.memberCoalescer?.stop();
    this.userCoalescer?.stop();
    this.snapshot?.close();
    await this.ml.shutdown();
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    if (encodeTags(tags).length > 512) throw new Error('Encoded length of tags exceeds limit of 512 bytes');
    this.tags = { ...tags };
    await this.ml.updateNode(BROADCAST_TIMEOUT_MS);
  }

  private eraseMember(name: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    this.records.delete(name);
    this.emitMember('member-reap', rec.member);
  }

  private reap(): void {
    const now = Date.now();
    const reconnectTimeout = this.cfg.reconnectTimeoutMs ?? 24 * 3600_000;
    const tombstone = this.cfg.tombstoneTimeoutMs ?? 24 * 3600_000;
    for (const [name, r] of [...this.records]) {
      if (name === this.cfg.nodeName) continue;
      if (r.member.status === 'failed' && now - r.leaveTime > reconnectTimeout) this.eraseMember(name);
      else if (r.member.status === 'left' && now - r.leaveTime > tombstone) this.eraseMember(name);
    }
    this.intentQueue.prune(MAX_QUEUE_DEPTH);
    this.eventQueue.prune(MAX_QUEUE_DEPTH);
    this.queryQueue.prune(MAX_QUEUE_DEPTH);
  }

  /** Periodically try a failed member again, so a healed partition merges back (serf's reconnect). */
  private async reconnect(): Promise<void> {
    const failed = [...this.records.values()].filter((r) => r.member.status === 'failed');
    if (failed.length === 0 || this.leaving) return;
    const alive = [...this.records.values()].filter((r) => r.member.status === 'alive').length;
    // As serf: the fewer alive members, the more likely we try.
    if (Math.random() > failed.length / Math.max(1, alive)) return;
    const r = failed[randomInt(failed.length)]!;
    try {
      await this.ml.join([`${r.member.addr.includes(':') ? `[${r.member.addr}]` : r.member.addr}:${r.member.port}`]);
      this.log?.info(`serf: reconnected to ${r.member.name}`);
    } catch {
      // still gone
    }
  }

  private drop(reason: string): void {
    this.dropped++;
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + 1;
  }

  stats() {
    let failed = 0;
    let left = 0;
    for (const r of this.records.values()) {
      if (r.member.status === 'failed') failed++;
      if (r.member.status === 'left') left++;
    }
    return {
      memberlist: this.ml.stats(), serfDropped: this.dropped, serfDropReasons: { ...this.dropReasons }, memberTime: this.clock.time(), eventTime: this.eventClock.time(), queryTime: this.queryClock.time(),
      members: this.records.size, failed, left, healthScore: this.ml.healthScore(),
    };
  }

  keys() {
    const ring = this.ml.keyring();
    const b = (k: string) => Buffer.from(k, 'base64');
    return { list: () => ring.keys().map((k) => k.toString('base64')), install: (k: string) => ring.install(b(k)), use: (k: string) => ring.use(b(k)), remove: (k: string) => ring.remove(b(k)) };
  }
}

