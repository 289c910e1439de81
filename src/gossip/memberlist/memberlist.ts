// memberlist's facade: the member table (SWIM states with Lifeguard), probing, gossip, push/pull and user
// messages over the Transport, with optional AES-GCM. Wire formats live in codec.ts.
import type { Socket } from 'node:net';
import type { Memberlist, MemberlistConfig, MemberNode, MemberlistStats, NodeStateName } from './api.js';
import { BadAddress, errorMessage, isLbaError } from '../../errors/index.js';
import { Awareness } from './awareness.js';
import {
  decodePacket, decodePushPull, decompress, encodeAck, wireAddr, encodeAlive, encodeCompound, encodeDead, encodeIndirectPing, encodeNack,
  encodePing, encodePushPull, encodeSuspect, encodeUser, MsgType, withCrc, type Alive, type Dead, type Message, type PushNodeState, type Suspect,
} from './codec.js';
import { pushPullScale, PROFILES, suspicionTimeout, type Timers } from './config.js';
import { Keyring } from './keyring.js';
import { asMap, decode, DecodeError, encode, Truncated, uint } from '../../wire/msgpack/index.js';
import { BroadcastQueue } from './queue.js';
import { expectedConfirmations, Suspicion } from './suspicion.js';
import { addressError, chooseAdvertiseAddr, isUnspecified, parseJoinAddr, resolveHost } from './address.js';
import { readStream, Transport, type PacketFrom } from './transport.js';
import { announcedNodeProblem, assertValidLocalNode, META_MAX, nodeNameProblem, type DropReason } from './validate.js';

const STATE_NUM: Record<NodeStateName, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };
const STATE_NAME: NodeStateName[] = ['alive', 'suspect', 'dead', 'left'];
const COMPOUND_OVERHEAD = 2; // uint16 length per part
const COMPOUND_HEADER = 2; // type + count
const MAX_UDP_PAYLOAD = 65_507 - 64; // IPv4 UDP maximum minus type, CRC and AES-GCM overhead

interface NodeEntry extends MemberNode {
  stateChange: number;
  /** the address as received (see Alive.addrBytes) */
  addrBytes?: Buffer;
}

interface AckWaiter {
  onAck: (payload: Buffer) => void;
  onNack?: () => void;
}

export async function createMemberlist(cfg: MemberlistConfig): Promise<Memberlist> {
  const m = new MemberlistImpl(cfg);
  await m.start();
  return m;
}

class MemberlistImpl implements Memberlist {
  private readonly t: Timers;
  private transport!: Transport;
  private readonly ring: Keyring;
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly broadcasts: BroadcastQueue;
  private readonly awareness: Awareness;
  private readonly acks = new Map<number, AckWaiter>();
  private readonly timers: NodeJS.Timeout[] = [];
  private pushPullTimer?: NodeJS.Timeout;
  private readonly st: MemberlistStats = { packetsReceived: 0, packetsDropped: 0, streamsDropped: 0, dropReasons: {} };
  private seq = 0;
  private incarnation = 0;
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private leaving = false;
  private stopped = false;
  private readonly vsn: [number, number, number, number, number, number];
  private readonly log;

  constructor(private readonly cfg: MemberlistConfig) {
    assertValidLocalNode(cfg.name);
    const base = PROFILES[cfg.profile];
    const pick = <K extends keyof Timers>(k: K): Timers[K] => ((cfg as unknown as Partial<Timers>)[k] ?? base[k]) as Timers[K];
    this.t = Object.fromEntries(Object.keys(base).map((k) => [k, pick(k as keyof Timers)])) as unknown as Timers;
    this.ring = new Keyring(cfg.keys ?? []);
    this.broadcasts = new BroadcastQueue({ retransmitMult: this.t.retransmitMult, numNodes: () => this.numMembers() });
    this.awareness = new Awareness(this.t.awarenessMaxMultiplier);
    this.vsn = [1, 5, cfg.protocolVersion ?? 2, cfg.delegateProtocolMin ?? 0, cfg.delegateProtocolMax ?? 0, cfg.delegateProtocolVersion ?? 0];
    this.log = cfg.logger?.child({ component: 'memberlist' });
  }

  async start(): Promise<void> {
    // Addresses first: one that cannot work is an error before anything binds.
    const bind = isUnspecified(this.cfg.bindAddr) ? this.cfg.bindAddr || '0.0.0.0' : await resolveHost(this.cfg.bindAddr, 'bind address');
    const addr = await this.advertiseAddr(bind);
    this.transport = await Transport.create(bind === '*' ? '0.0.0.0' : bind, this.cfg.bindPort, (b, f) => this.onPacket(b, f), (s) => void this.onStream(s));
    const port = this.cfg.advertisePort || this.transport.port; // 0 = the port we bound: peers drop port 0
    // Our own alive message, as memberlist's setAlive: the local node joins the table like any other.
    this.aliveNode({ incarnation: this.nextIncarnation(), node: this.cfg.name, addr, port, meta: this.meta(), vsn: this.vsn }, true);
    this.every(this.t.probeIntervalMs, () => void this.probe().catch((err) => this.log?.error({ err: errorMessage(err) }, 'memberlist: probe failed')));
    this.every(this.t.gossipIntervalMs, () => this.gossip());
    this.schedulePushPull();
  }

  /**
   * What peers are told (memberlist's FinalAdvertiseAddr): the advertise address if set, else the bind address,
   * else (bound to every address) a private IPv4 of this host, else a public one; never loopback.
   */
  private async advertiseAddr(bind: string): Promise<string> {
    if (!isUnspecified(this.cfg.advertiseAddr)) return resolveHost(this.cfg.advertiseAddr!, 'advertise address');
    if (!isUnspecified(bind)) return bind;
    const c = chooseAdvertiseAddr();
    this.log?.info({ addr: c.addr, iface: c.iface }, `memberlist: Using ${c.kind} IP ${c.addr} of interface ${c.iface} as the advertise address (bound to ${bind}; set --advertise or gossip.advertise to choose another)`);
    // memberlist warns the same way: gossip on a public address is readable by anyone on the path.
    if (c.kind === 'public' && !this.ring.enabled) this.log?.warn('memberlist: Binding to public address without encryption!');
    return c.addr;
  }

  // ---------- public API ----------
  async join(addrs: string[]): Promise<number> {
    let ok = 0;
    const errors: string[] = [];
    for (const a of addrs) {
      try {
        const parsed = parseJoinAddr(a);
        if ('error' in parsed) throw addressError(BadAddress, `join address ${parsed.error}`);
        const host = await resolveHost(parsed.host, `join address '${a}'`);
        await this.pushPull(host, parsed.port, true);
        ok++;
      } catch (err) {
        errors.push(isLbaError(err, BadAddress) ? err.message : `${a}: ${errorMessage(err)}`);
        this.log?.warn({ addr: a, err: errorMessage(err) }, `memberlist: Failed to join ${a}: ${errorMessage(err)}`);
      }
    }
    if (ok === 0) throw new Error(`Failed to join any nodes: ${errors.join('; ')}`);
    return ok;
  }

  async leave(timeoutMs: number): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    const me = this.nodes.get(this.cfg.name)!;
    this.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name });
    if (this.anyAlivePeer()) await this.broadcasts.drained(timeoutMs);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.forEach(clearTimeout);
    clearTimeout(this.pushPullTimer);
    this.suspicions.forEach((s) => s.stop());
    await this.transport.close();
  }

  members(): MemberNode[] {
    return [...this.nodes.values()].filter((n) => n.state === 'alive' || n.state === 'suspect').map(publicNode);
  }

  allNodes(): MemberNode[] {
    return [...this.nodes.values()].map(publicNode);
  }

  localNode(): MemberNode {
    return publicNode(this.nodes.get(this.cfg.name)!);
  }

  numMembers(): number {
    let n = 0;
    for (const x of this.nodes.values()) if (x.state === 'alive' || x.state === 'suspect') n++;
    return n;
  }

  async updateNode(timeoutMs: number): Promise<void> {
    const me = this.nodes.get(this.cfg.name)!;
    this.aliveNode({ incarnation: this.nextIncarnation(), node: me.name, addr: me.addr, port: me.port, meta: this.meta(), vsn: this.vsn }, true);
    if (this.anyAlivePeer()) await this.broadcasts.drained(timeoutMs);
  }

  sendBestEffort(node: MemberNode, msg: Buffer): void {
    // Too big for one UDP datagram (after compound and encryption overhead): use a stream instead.
    if (msg.length > MAX_UDP_PAYLOAD) {
      this.sendReliable(node, msg).catch((err) => this.log?.warn(`memberlist: Failed to send user message to ${node.name}: ${errorMessage(err)}`));
      return;
    }
    this.sendPacket(node, [encodeUser(msg)]);
  }

  async sendReliable(node: MemberNode, msg: Buffer): Promise<void> {
    const sock = await this.transport.dial(node.addr, node.port, this.t.tcpTimeoutMs);
    try {
      await writeAll(sock, this.streamFrame(Buffer.concat([Buffer.from([MsgType.User]), encode({ UserMsgLen: msg.length }), msg])));
    } finally {
      sock.end();
    }
  }

  healthScore(): number {
    return this.awareness.health();
  }

  stats(): MemberlistStats {
    return { ...this.st, dropReasons: { ...this.st.dropReasons } };
  }

  keyring() {
    return this.ring;
  }

  // ---------- state machine (memberlist's state.go) ----------
  private aliveNode(a: Alive, bootstrap = false): void {
    const isLocal = a.node === this.cfg.name;
    const existing = this.nodes.get(a.node);
    if (this.leaving && isLocal) return;
    if (!existing) {
      const n: NodeEntry = { name: a.node, addr: a.addr, addrBytes: a.addrBytes, port: a.port, meta: a.meta, state: 'alive', incarnation: a.incarnation, vsn: toVsn(a.vsn), stateChange: Date.now() };
      this.nodes.set(a.node, n);
      // A newcomer goes at a random place of the probe order so it is probed fairly soon.
      this.probeOrder.splice(Math.floor(Math.random() * (this.probeOrder.length + 1)), 0, a.node);
      this.broadcast(a.node, encodeAlive(a));
      this.log?.info({ node: a.node, addr: `${a.addr}:${a.port}` }, `memberlist: EventMemberJoin: ${a.node} ${a.addr}`);
      this.safely(() => this.cfg.events.notifyJoin(publicNode(n)));
      return;
    }
    if (isLocal && !bootstrap) {
      // Someone gossips about us: refute anything that is not exactly what we said.
      if (a.incarnation < existing.incarnation) return;
      if (a.incarnation === existing.incarnation && a.meta.equals(existing.meta) && sameVsn(a.vsn, existing.vsn)) return;
      this.refute(existing, a.incarnation);
      return;
    }
    const wasDown = existing.state === 'dead' || existing.state === 'left';
    // Another address under a known name: only a dead node past DeadNodeReclaimTime may be taken over.
    let reclaimed = false;
    // byte for byte, as memberlist: 10.0.0.5 in 4 bytes and in 16 are two addresses to serf
    if (!isLocal && (!wireAddr(existing).equals(wireAddr(a)) || existing.port !== a.port)) {
      reclaimed = wasDown && this.t.deadNodeReclaimTimeMs > 0 && Date.now() - existing.stateChange > this.t.deadNodeReclaimTimeMs;
      if (!reclaimed) {
        this.st.dropReasons['address conflict'] = (this.st.dropReasons['address conflict'] ?? 0) + 1;
        this.log?.warn({ node: a.node }, `memberlist: Conflicting address for ${a.node}. Mine: ${existing.addr}:${existing.port} Theirs: ${a.addr}:${a.port} Old state: ${existing.state}`);
        return;
      }
    }
    if (a.incarnation <= existing.incarnation && !bootstrap && !reclaimed) return;
    this.suspicions.get(a.node)?.stop();
    this.suspicions.delete(a.node);
    const metaChanged = !existing.meta.equals(a.meta);
    Object.assign(existing, { addr: a.addr, addrBytes: a.addrBytes, port: a.port, meta: a.meta, incarnation: a.incarnation, vsn: toVsn(a.vsn) });
    if (existing.state !== 'alive') Object.assign(existing, { state: 'alive', stateChange: Date.now() });
    this.broadcast(a.node, encodeAlive(a));
    if (wasDown) {
      this.log?.info({ node: a.node }, `memberlist: EventMemberJoin: ${a.node} ${a.addr}`);
      this.safely(() => this.cfg.events.notifyJoin(publicNode(existing)));
    } else if (metaChanged) {
      this.log?.info({ node: a.node }, `memberlist: EventMemberUpdate: ${a.node}`);
      this.safely(() => this.cfg.events.notifyUpdate(publicNode(existing)));
    }
  }

  private suspectNode(s: Suspect): void {
    const n = this.nodes.get(s.node);
    if (!n || s.incarnation < n.incarnation) return;
    const running = this.suspicions.get(s.node);
    if (running && n.state === 'suspect') {
      if (running.confirm(s.from)) this.broadcast(s.node, encodeSuspect(s));
      return;
    }
    if (n.state !== 'alive') return;
    if (s.node === this.cfg.name) {
      if (!this.leaving) this.refute(n, s.incarnation);
      return;
    }
    Object.assign(n, { state: 'suspect', incarnation: s.incarnation, stateChange: Date.now() });
    this.broadcast(s.node, encodeSuspect(s));
    const members = this.numMembers();
    const min = suspicionTimeout(this.t.suspicionMult, members, this.t.probeIntervalMs);
    const k = expectedConfirmations(this.t.suspicionMult, members);
    const inc = n.incarnation;
    this.log?.info({ node: s.node, from: s.from }, `memberlist: Suspect ${s.node} has failed, no acks received`);
    this.suspicions.set(s.node, new Suspicion(s.from, k, min, min * this.t.suspicionMaxTimeoutMult, (c) => {
      const cur = this.nodes.get(s.node);
      if (!cur || cur.state !== 'suspect' || cur.incarnation !== inc || this.stopped) return;
      this.log?.info({ node: s.node, confirmations: c }, `memberlist: Marking ${s.node} as failed, suspect timeout reached (${c} peer confirmations)`);
      this.deadNode({ incarnation: inc, node: s.node, from: this.cfg.name });
    }));
  }

  private deadNode(d: Dead): void {
    const n = this.nodes.get(d.node);
    if (!n || d.incarnation < n.incarnation) return;
    this.suspicions.get(d.node)?.stop();
    this.suspicions.delete(d.node);
    if (n.state === 'dead' || n.state === 'left') return;
    if (d.node === this.cfg.name && !this.leaving) {
      this.refute(n, d.incarnation);
      return;
    }
    const state: NodeStateName = d.from === d.node ? 'left' : 'dead';
    Object.assign(n, { state, incarnation: d.incarnation, stateChange: Date.now() });
    this.broadcast(d.node, encodeDead(d));
    this.log?.info({ node: d.node, state }, `memberlist: EventMemberLeave${state === 'dead' ? ' (failed)' : ''}: ${d.node} ${n.addr}`);
    this.safely(() => this.cfg.events.notifyLeave(publicNode(n)));
  }

  private refute(me: NodeEntry, accusedInc: number): void {
    this.incarnation = Math.max(this.incarnation, accusedInc) + 1;
    me.incarnation = this.incarnation;
    this.awareness.apply(1);
    this.log?.warn({ incarnation: me.incarnation }, 'memberlist: Refuting a suspect message');
    this.broadcast(me.name, encodeAlive({ incarnation: me.incarnation, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: me.vsn }));
  }

  private nextIncarnation(): number {
    return ++this.incarnation;
  }

  private meta(): Buffer {
    const meta = this.cfg.delegate.nodeMeta(META_MAX);
    if (meta.length > META_MAX) throw new Error(`Node meta data provided is longer than the limit (${meta.length} > ${META_MAX})`);
    return meta;
  }

  private broadcast(name: string, message: Buffer): void {
    this.broadcasts.queue({ name, message });
  }

  private anyAlivePeer(): boolean {
    for (const n of this.nodes.values()) if (n.name !== this.cfg.name && n.state === 'alive') return true;
    return false;
  }

  // ---------- receiving ----------
  /** Count what we refuse, by reason; a 'record' is one node state of a push/pull that was otherwise taken. */
  private drop(kind: 'packet' | 'stream' | 'record', reason: string, node?: string): void {
    if (kind === 'packet') this.st.packetsDropped++;
    else if (kind === 'stream') this.st.streamsDropped++;
    this.st.dropReasons[reason] = (this.st.dropReasons[reason] ?? 0) + 1;
    // The name only in part: it may be what was wrong (kilobytes, control characters).
    this.log?.debug({ reason, node: node === undefined ? undefined : JSON.stringify(node.slice(0, 64)) }, `memberlist: dropped ${kind}: ${reason}`);
  }

  private onPacket(raw: Buffer, from: PacketFrom): void {
    this.st.packetsReceived++;
    if (this.stopped) return;
    let buf: Buffer = raw;
    let msgs: Message[];
    try {
      let label: Buffer = Buffer.alloc(0);
      if (buf[0] === MsgType.HasLabel) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) throw new DecodeError('bad label');
        label = buf.subarray(2, 2 + buf[1]!);
        buf = buf.subarray(2 + buf[1]!);
      }
      if (this.ring.enabled) {
        try {
          buf = this.ring.decrypt(buf, label);
        } catch (err) {
          if (!this.cfg.acceptPlain) return this.drop('packet', 'decrypt');
        }
      }
      msgs = decodePacket(buf);
    } catch (err) {
      return this.drop('packet', err instanceof DecodeError ? 'malformed' : 'error');
    }
    for (const msg of msgs) {
      try {
        this.handle(msg, from);
      } catch (err) {
        this.drop('packet', 'handler');
        this.log?.warn({ err: errorMessage(err) }, 'memberlist: failed to handle message');
      }
    }
  }

  private handle(msg: Message, from: PacketFrom): void {
    switch (msg.type) {
      case MsgType.Ping: {
        if (msg.body.node && msg.body.node !== this.cfg.name) return this.drop('packet', 'ping for another node');
        const to = msg.body.sourceAddr && msg.body.sourcePort ? { addr: msg.body.sourceAddr, port: msg.body.sourcePort } : from;
        this.sendTo(to.addr, to.port, [encodeAck({ seqNo: msg.body.seqNo, payload: this.cfg.delegate.ackPayload?.() ?? Buffer.alloc(0) })], 5);
        return;
      }
      case MsgType.IndirectPing: {
        const p = msg.body;
        if (p.port < 1 || p.port > 65535) return this.drop('packet', 'invalid port');
        if (p.node && nodeNameProblem(p.node)) return this.drop('packet', 'invalid node name');
        return this.indirectPing(p, from);
      }
      case MsgType.Ack: {
        const w = this.acks.get(msg.body.seqNo);
        if (w) w.onAck(msg.body.payload);
        return;
      }
      case MsgType.Nack:
        this.acks.get(msg.body.seqNo)?.onNack?.();
        return;
      case MsgType.Suspect:
      case MsgType.Dead: {
        if (nodeNameProblem(msg.body.node) || nodeNameProblem(msg.body.from)) return this.drop('packet', 'invalid node name');
        return msg.type === MsgType.Suspect ? this.suspectNode(msg.body) : this.deadNode(msg.body);
      }
      case MsgType.Alive: {
        const bad = announcedNodeProblem(msg.body);
        if (bad) return this.drop('packet', bad, msg.body.node);
        return this.aliveNode(msg.body);
      }
      case MsgType.User:
        this.cfg.delegate.notifyMsg(msg.body);
        return;
    }
  }

  private indirectPing(p: { seqNo: number; target: string; port: number; node: string; nack: boolean; sourceAddr?: string; sourcePort?: number }, from: PacketFrom): void {
    const back = p.sourceAddr && p.sourcePort ? { addr: p.sourceAddr, port: p.sourcePort } : from;
    const seq = this.nextSeq();
    const timer = setTimeout(() => {
      this.acks.delete(seq);
      if (p.nack) this.sendTo(back.addr, back.port, [encodeNack({ seqNo: p.seqNo })], 5);
    }, this.t.probeTimeoutMs);
    timer.unref();
    this.acks.set(seq, {
      onAck: () => {
        clearTimeout(timer);
        this.acks.delete(seq);
        this.sendTo(back.addr, back.port, [encodeAck({ seqNo: p.seqNo, payload: Buffer.alloc(0) })], 5);
      },
    });
    const me = this.nodes.get(this.cfg.name)!;
    this.sendTo(p.target, p.port, [encodePing({ seqNo: seq, node: p.node, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })], 5);
  }

  private async onStream(sock: Socket): Promise<void> {
    sock.on('error', () => {});
    try {
      const plain = await readStream(sock, this.t.tcpTimeoutMs, (b) => this.parseStreamFrame(b));
      const type = plain[0];
      if (type === MsgType.PushPull) {
        const remote = decodePushPull(plain, 1);
        await writeAll(sock, this.streamFrame(this.localState(remote.join)));
        this.mergeRemote(remote.nodes, remote.userState, remote.join);
      } else if (type === MsgType.Ping) {
        const ping = decodePacket(plain)[0];
        if (ping?.type !== MsgType.Ping) throw new DecodeError('bad stream ping');
        await writeAll(sock, this.streamFrame(encodeAck({ seqNo: ping.body.seqNo, payload: this.cfg.delegate.ackPayload?.() ?? Buffer.alloc(0) })));
      } else if (type === MsgType.User) {
        const { value, end } = decode(plain, 1);
        const len = uint(asMap(value, 'user header'), 'UserMsgLen');
        this.cfg.delegate.notifyMsg(Buffer.from(plain.subarray(end, end + len)));
      } else {
        throw new DecodeError(`unexpected stream message ${type}`);
      }
    } catch (err) {
      this.drop('stream', err instanceof DecodeError ? 'malformed stream' : errorMessage(err));
    } finally {
      sock.end();
    }
  }

  /**
   * A complete stream message or undefined while bytes are missing: an optional label, then either
   * 0x0a + uint32 length + AES-GCM (the header is the AAD) or a plain message; 0x09 compressed bodies unwrap.
   */
  private parseStreamFrame(b: Buffer): Buffer | undefined {
    let label: Buffer = Buffer.alloc(0);
    if (b[0] === MsgType.HasLabel) {
      if (b.length < 2 || b.length < 2 + b[1]!) return undefined;
      label = b.subarray(2, 2 + b[1]!);
      b = b.subarray(2 + b[1]!);
    }
    if (b.length === 0) return undefined;
    let plain: Buffer;
    if (b[0] === MsgType.Encrypt) {
      if (!this.ring.enabled) throw new DecodeError('encrypted stream but encryption is not configured');
      if (b.length < 5) return undefined;
      const len = b.readUInt32BE(1);
      if (len > 20 * 1024 * 1024) throw new DecodeError('encrypted stream too large');
      if (b.length < 5 + len) return undefined;
      plain = this.ring.decrypt(b.subarray(5, 5 + len), Buffer.concat([b.subarray(0, 5), label]));
    } else {
      if (this.ring.enabled && !this.cfg.acceptPlain) throw new DecodeError('plain stream refused: encryption is on');
      plain = b;
    }
    try {
      if (plain[0] === MsgType.Compress) {
        plain = decompress(plain);
      }
      // Check the message is complete (msgpack throws Truncated when not).
      if (plain[0] === MsgType.PushPull) decodePushPull(plain, 1);
      else if (plain[0] === MsgType.User) {
        const { value, end } = decode(plain, 1);
        if (end + uint(asMap(value, 'user header'), 'UserMsgLen') > plain.length) throw new Truncated('user message');
      } else decode(plain, 1);
      return plain;
    } catch (err) {
      if (err instanceof Truncated && b[0] !== MsgType.Encrypt) return undefined;
      throw err;
    }
  }

  private streamFrame(plain: Buffer): Buffer {
    if (!this.ring.enabled) return plain;
    const head = Buffer.alloc(5);
    head[0] = MsgType.Encrypt;
    head.writeUInt32BE(1 + 12 + plain.length + 16, 1);
    return Buffer.concat([head, this.ring.encrypt(plain, head)]);
  }

  // ---------- push/pull ----------
  private localState(join: boolean): Buffer {
    const nodes: PushNodeState[] = [...this.nodes.values()].map((n) => ({ name: n.name, addr: n.addr, addrBytes: n.addrBytes, port: n.port, meta: n.meta, incarnation: n.incarnation, state: STATE_NUM[n.state], vsn: n.vsn }));
    return encodePushPull({ join, nodes, userState: this.cfg.delegate.localState(join) });
  }

  private async pushPull(host: string, port: number, join: boolean): Promise<void> {
    const sock = await this.transport.dial(host, port, this.t.tcpTimeoutMs);
    sock.on('error', () => {});
    try {
      await writeAll(sock, this.streamFrame(this.localState(join)));
      const plain = await readStream(sock, this.t.tcpTimeoutMs, (b) => this.parseStreamFrame(b));
      if (plain[0] === MsgType.Err) throw new Error('remote error');
      if (plain[0] !== MsgType.PushPull) throw new DecodeError(`expected push/pull, got ${plain[0]}`);
      const remote = decodePushPull(plain, 1);
      this.mergeRemote(remote.nodes, remote.userState, join);
    } finally {
      sock.end();
    }
  }

  private mergeRemote(nodes: PushNodeState[], userState: Buffer, join: boolean): void {
    for (const r of nodes) {
      const bad: DropReason | undefined = announcedNodeProblem({ node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn });
      if (bad) {
        this.drop('record', bad, r.name);
        continue;
      }
      const state = STATE_NAME[r.state] ?? 'dead';
      if (state === 'alive') this.aliveNode({ incarnation: r.incarnation, node: r.name, addr: r.addr, addrBytes: r.addrBytes, port: r.port, meta: r.meta, vsn: r.vsn });
      else if (state === 'left') this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name });
      // A remote dead or suspect view is only a suspicion here: we check for ourselves.
      else this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.cfg.name });
    }
    if (userState.length) this.cfg.delegate.mergeRemoteState(userState, join);
  }

  private schedulePushPull(): void {
    if (this.t.pushPullIntervalMs <= 0 || this.stopped) return;
    const t = setTimeout(() => {
      const peers = this.peers((n) => n.state === 'alive');
      const p = peers[Math.floor(Math.random() * peers.length)];
      if (p) this.pushPull(p.addr, p.port, false).catch((err) => this.log?.warn(`memberlist: Push/Pull with ${p.name} failed: ${errorMessage(err)}`));
      this.schedulePushPull();
    }, pushPullScale(this.t.pushPullIntervalMs, this.numMembers()) * (0.5 + Math.random() / 2));
    t.unref();
    this.pushPullTimer = t;
  }

  // ---------- sending ----------
  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private sendPacket(node: MemberNode, msgs: Buffer[]): void {
    this.sendTo(node.addr, node.port, msgs, node.vsn[1]);
  }

  /** Piggy-backs broadcasts, compounds, adds CRC for peers speaking protocol 5, encrypts. */
  private sendTo(addr: string, port: number, msgs: Buffer[], peerMax: number): void {
    if (this.stopped) return;
    const used = msgs.reduce((s, b) => s + b.length + COMPOUND_OVERHEAD, COMPOUND_HEADER);
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, this.t.udpBufferSize - used);
    const all = [...msgs, ...extra];
    let packet = all.length === 1 ? all[0]! : encodeCompound(all);
    if (peerMax >= 5) packet = withCrc(packet);
    if (this.ring.enabled) packet = this.ring.encrypt(packet);
    this.transport.sendPacket(packet, addr, port);
  }

  private getBroadcasts(overhead: number, limit: number): Buffer[] {
    const ours = this.broadcasts.getBroadcasts(overhead, limit);
    const used = ours.reduce((s, b) => s + b.length + overhead, 0);
    const theirs = this.cfg.delegate.getBroadcasts(overhead, limit - used).map((b) => encodeUser(b));
    return [...ours, ...theirs];
  }

  private gossip(): void {
    const now = Date.now();
    const candidates = this.peers((n) => n.state === 'alive' || n.state === 'suspect' || now - n.stateChange < this.t.gossipToTheDeadTimeMs);
    for (const n of shuffle(candidates).slice(0, this.t.gossipNodes)) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, this.t.udpBufferSize - COMPOUND_HEADER);
      if (msgs.length === 0) return;
      let packet = msgs.length === 1 ? msgs[0]! : encodeCompound(msgs);
      if (n.vsn[1] >= 5) packet = withCrc(packet);
      if (this.ring.enabled) packet = this.ring.encrypt(packet);
      this.transport.sendPacket(packet, n.addr, n.port);
    }
  }

  // ---------- probing ----------
  private peers(pred: (n: NodeEntry) => boolean): NodeEntry[] {
    return [...this.nodes.values()].filter((n) => n.name !== this.cfg.name && pred(n));
  }

  private nextProbeTarget(): NodeEntry | undefined {
    for (let tries = 0; tries <= this.probeOrder.length; tries++) {
      if (this.probeIndex >= this.probeOrder.length) {
        this.reap();
        this.probeOrder = shuffle(this.probeOrder);
        this.probeIndex = 0;
      }
      const name = this.probeOrder[this.probeIndex++];
      const n = name !== undefined ? this.nodes.get(name) : undefined;
      if (n && n.name !== this.cfg.name && (n.state === 'alive' || n.state === 'suspect')) return n;
    }
    return undefined;
  }

  /** Forget dead and left nodes once they have been gossiped about long enough (memberlist's resetNodes). */
  private reap(): void {
    const now = Date.now();
    for (const n of [...this.nodes.values()]) {
      if ((n.state === 'dead' || n.state === 'left') && now - n.stateChange > this.t.gossipToTheDeadTimeMs) this.nodes.delete(n.name);
    }
    this.probeOrder = this.probeOrder.filter((name) => this.nodes.has(name));
  }

  private waitAck(seq: number, timeoutMs: number, onNack?: () => void): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.acks.delete(seq), resolve(undefined)), timeoutMs);
      timer.unref();
      this.acks.set(seq, { onAck: (p) => (clearTimeout(timer), this.acks.delete(seq), resolve(p)), onNack });
    });
  }

  private async probe(): Promise<void> {
    if (this.stopped) return;
    const target = this.nextProbeTarget();
    if (!target) return;
    const me = this.nodes.get(this.cfg.name)!;
    const seq = this.nextSeq();
    const sent = Date.now();
    const interval = this.awareness.scale(this.t.probeIntervalMs);
    const ackP = this.waitAck(seq, interval);
    this.sendPacket(target, [encodePing({ seqNo: seq, node: target.name, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })]);
    const first = await Promise.race([ackP, delay(this.awareness.scale(this.t.probeTimeoutMs)).then(() => 'timeout' as const)]);
    if (first !== 'timeout' && first !== undefined) return this.probeOk(target, sent, first);
    if (this.stopped) return;
    // Indirect probes through k other members, and a TCP ping in case only UDP is broken.
    let nacks = 0;
    const helpers = shuffle(this.peers((n) => n.state === 'alive' && n.name !== target.name)).slice(0, this.t.indirectChecks);
    const expectNacks = helpers.filter((h) => h.vsn[1] >= 4).length;
    const waiter = this.acks.get(seq);
    if (!waiter) return this.probeOk(target, sent, Buffer.alloc(0)); // the ack won the race with our timeout
    waiter.onNack = () => nacks++;
    for (const h of helpers) {
      this.sendPacket(h, [encodeIndirectPing({ seqNo: seq, target: target.addr, port: target.port, node: target.name, nack: h.vsn[1] >= 4, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })]);
    }
    const tcp = this.tcpPing(target, seq, Math.max(1, interval - (Date.now() - sent)));
    const result = await Promise.race([ackP, tcp.then((ok) => (ok ? Buffer.alloc(0) : ackP))]);
    if (result !== undefined) return this.probeOk(target, sent, result);
    if (this.stopped) return;
    this.awareness.apply(1 + Math.max(0, expectNacks - nacks));
    this.log?.info({ node: target.name }, `memberlist: Suspect ${target.name} has failed, no acks received`);
    this.suspectNode({ incarnation: target.incarnation, node: target.name, from: this.cfg.name });
  }

  private probeOk(target: NodeEntry, sent: number, payload: Buffer): void {
    this.awareness.apply(-1);
    this.cfg.delegate.notifyPingComplete?.(publicNode(target), Date.now() - sent, payload);
  }

  private async tcpPing(target: NodeEntry, seq: number, timeoutMs: number): Promise<boolean> {
    if (target.vsn[1] < 3) return false;
    try {
      const sock = await this.transport.dial(target.addr, target.port, timeoutMs);
      sock.on('error', () => {});
      try {
        const me = this.nodes.get(this.cfg.name)!;
        await writeAll(sock, this.streamFrame(encodePing({ seqNo: seq, node: target.name, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })));
        const plain = await readStream(sock, timeoutMs, (b) => this.parseStreamFrame(b));
        const ack = decodePacket(plain)[0];
        return ack?.type === MsgType.Ack && ack.body.seqNo === seq;
      } finally {
        sock.destroy();
      }
    } catch {
      return false;
    }
  }

  /** The layer above must not be able to crash our timers. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log?.error({ err: errorMessage(err) }, 'memberlist: event handler failed');
    }
  }

  private every(ms: number, fn: () => void): void {
    // Random start spreads the timers of many nodes (memberlist staggers them the same way).
    const first = setTimeout(() => {
      if (this.stopped) return;
      this.safely(fn);
      const iv = setInterval(() => !this.stopped && this.safely(fn), ms);
      iv.unref();
      this.timers.push(iv);
    }, Math.random() * ms);
    first.unref();
    this.timers.push(first);
  }
}

function publicNode(n: NodeEntry): MemberNode {
  return { name: n.name, addr: n.addr, port: n.port, meta: n.meta, state: n.state, incarnation: n.incarnation, vsn: [...n.vsn] as MemberNode['vsn'] };
}

function toVsn(v: number[]): MemberNode['vsn'] {
  return [v[0] ?? 1, v[1] ?? 2, v[2] ?? 2, v[3] ?? 0, v[4] ?? 0, v[5] ?? 0];
}

function sameVsn(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function writeAll(sock: Socket, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sock.write(buf, (err) => (err ? reject(err) : resolve())));
}
