// memberlist's facade (memberlist.go): creates the parts, binds the transport, runs the probe, gossip and
// push/pull timers, and answers the Memberlist API. The parts: state.ts (the member table and its SWIM
// states), probe.ts (the failure detector), send.ts and net.ts (packets out and in), stream.ts (TCP framing),
// push-pull.ts (full state exchange); wire formats in codec.ts.
import { encode } from '../../wire/msgpack/index.js';
import { BadAddress, errorMessage, isLbaError } from '../../errors/index.js';
import type { Memberlist, MemberlistConfig, MemberNode, MemberlistStats } from './api.js';
import { parseJoinAddr } from '../../net/index.js';
import { addressError, chooseAdvertiseAddr, isUnspecified, resolveHost } from './address.js';
import { encodeUser, MsgType } from './codec.js';
import { Core } from './core.js';
import { Receiver } from './net.js';
import { Prober } from './probe.js';
import { PushPull } from './push-pull.js';
import { PacketSender } from './send.js';
import { NodeStates, publicNode } from './state.js';
import { Streams } from './stream.js';
import { Transport } from './transport.js';
import { assertValidLocalNode, META_MAX } from './validate.js';

const MAX_UDP_PAYLOAD = 65_507 - 64; // IPv4 UDP maximum minus type, CRC and AES-GCM overhead

export async function createMemberlist(cfg: MemberlistConfig): Promise<Memberlist> {
  const m = new MemberlistImpl(cfg);
  await m.start();
  return m;
}

class MemberlistImpl implements Memberlist {
  private readonly c: Core;
  private readonly state: NodeStates;
  private readonly out: PacketSender;
  private readonly streams: Streams;
  private readonly prober: Prober;
  private readonly pushPull: PushPull;
  private readonly net: Receiver;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly vsn: [number, number, number, number, number, number];

  constructor(private readonly cfg: MemberlistConfig) {
    assertValidLocalNode(cfg.name);
    this.c = new Core(cfg);
    this.state = new NodeStates(this.c);
    this.out = new PacketSender(this.c, this.state);
    this.streams = new Streams(this.c);
    this.prober = new Prober(this.c, this.state, this.out, this.streams);
    this.pushPull = new PushPull(this.c, this.state, this.streams);
    this.net = new Receiver(this.c, this.state, this.prober, this.pushPull, this.streams);
    this.vsn = [1, 5, cfg.protocolVersion ?? 2, cfg.delegateProtocolMin ?? 0, cfg.delegateProtocolMax ?? 0, cfg.delegateProtocolVersion ?? 0];
  }

  async start(): Promise<void> {
    const { c } = this;
    // Addresses first: one that cannot work is an error before anything binds.
    const bind = isUnspecified(this.cfg.bindAddr) ? this.cfg.bindAddr || '0.0.0.0' : await resolveHost(this.cfg.bindAddr, 'bind address');
    const addr = await this.advertiseAddr(bind);
    c.transport = await Transport.create(bind === '*' ? '0.0.0.0' : bind, this.cfg.bindPort, (b, f) => this.net.onPacket(b, f), (s) => void this.net.onStream(s));
    const port = this.cfg.advertisePort || c.transport.port; // 0 = the port we bound: peers drop port 0
    // Our own alive message, as memberlist's setAlive: the local node joins the table like any other.
    this.state.aliveNode({ incarnation: this.state.nextIncarnation(), node: this.cfg.name, addr, port, meta: this.meta(), vsn: this.vsn }, true);
    this.every(c.t.probeIntervalMs, () => void this.prober.probe().catch((err) => c.log?.error({ err: errorMessage(err) }, 'memberlist: probe failed')));
    this.every(c.t.gossipIntervalMs, () => this.out.gossip());
    this.pushPull.schedule();
  }

  /**
   * What peers are told (memberlist's FinalAdvertiseAddr): the advertise address if set, else the bind address,
   * else (bound to every address) a private IPv4 of this host, else a public one; never loopback.
   */
  private async advertiseAddr(bind: string): Promise<string> {
    if (!isUnspecified(this.cfg.advertiseAddr)) return resolveHost(this.cfg.advertiseAddr!, 'advertise address');
    if (!isUnspecified(bind)) return bind;
    const ch = chooseAdvertiseAddr();
    this.c.log?.info({ addr: ch.addr, iface: ch.iface }, `memberlist: Using ${ch.kind} IP ${ch.addr} of interface ${ch.iface} as the advertise address (bound to ${bind}; set --advertise or gossip.advertise to choose another)`);
    // memberlist warns the same way: gossip on a public address is readable by anyone on the path.
    if (ch.kind === 'public' && !this.c.ring.enabled) this.c.log?.warn('memberlist: Binding to public address without encryption!');
    return ch.addr;
  }

  async join(addrs: string[]): Promise<number> {
    let ok = 0;
    const errors: string[] = [];
    for (const a of addrs) {
      try {
        const parsed = parseJoinAddr(a);
        if ('error' in parsed) throw addressError(BadAddress, `join address ${parsed.error}`);
        const host = await resolveHost(parsed.host, `join address '${a}'`);
        await this.pushPull.exchange(host, parsed.port, true);
        ok++;
      } catch (err) {
        errors.push(isLbaError(err, BadAddress) ? err.message : `${a}: ${errorMessage(err)}`);
        this.c.log?.warn({ addr: a, err: errorMessage(err) }, `memberlist: Failed to join ${a}: ${errorMessage(err)}`);
      }
    }
    if (ok === 0) throw new Error(`Failed to join any nodes: ${errors.join('; ')}`);
    return ok;
  }

  async leave(timeoutMs: number): Promise<void> {
    if (this.c.leaving) return;
    this.c.leaving = true;
    const me = this.state.local();
    this.state.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name });
    if (this.state.anyAlivePeer()) await this.state.broadcasts.drained(timeoutMs);
  }

  async shutdown(): Promise<void> {
    if (this.c.stopped) return;
    this.c.stopped = true;
    this.timers.forEach(clearTimeout);
    this.pushPull.stop();
    this.state.stop();
    await this.c.transport.close();
  }

  members(): MemberNode[] {
    return [...this.state.nodes.values()].filter((n) => n.state === 'alive' || n.state === 'suspect').map(publicNode);
  }

  allNodes(): MemberNode[] {
    return [...this.state.nodes.values()].map(publicNode);
  }

  localNode(): MemberNode {
    return publicNode(this.state.local());
  }

  numMembers(): number {
    return this.state.numMembers();
  }

  async updateNode(timeoutMs: number): Promise<void> {
    const me = this.state.local();
    this.state.aliveNode({ incarnation: this.state.nextIncarnation(), node: me.name, addr: me.addr, port: me.port, meta: this.meta(), vsn: this.vsn }, true);
    if (this.state.anyAlivePeer()) await this.state.broadcasts.drained(timeoutMs);
  }

  sendBestEffort(node: MemberNode, msg: Buffer): void {
    // Too big for one UDP datagram (after compound and encryption overhead): use a stream instead.
    if (msg.length > MAX_UDP_PAYLOAD) {
      this.sendReliable(node, msg).catch((err) => this.c.log?.warn(`memberlist: Failed to send user message to ${node.name}: ${errorMessage(err)}`));
      return;
    }
    this.out.sendPacket(node, [encodeUser(msg)]);
  }

  async sendReliable(node: MemberNode, msg: Buffer): Promise<void> {
    const sock = await this.streams.dial(node.addr, node.port);
    try {
      await this.streams.write(sock, Buffer.concat([Buffer.from([MsgType.User]), encode({ UserMsgLen: msg.length }), msg]));
    } finally {
      sock.end();
    }
  }

  healthScore(): number {
    return this.c.awareness.health();
  }

  stats(): MemberlistStats {
    const st = this.c.st;
    return { ...st, dropReasons: { ...st.dropReasons }, probeRtt: { ...st.probeRtt, counts: [...st.probeRtt.counts] } };
  }

  keyring() {
    return this.c.ring;
  }

  private meta(): Buffer {
    const meta = this.cfg.delegate.nodeMeta(META_MAX);
    if (meta.length > META_MAX) throw new Error(`Node meta data provided is longer than the limit (${meta.length} > ${META_MAX})`);
    return meta;
  }

  private every(ms: number, fn: () => void): void {
    // Random start spreads the timers of many nodes (memberlist staggers them the same way).
    const first = setTimeout(() => {
      if (this.c.stopped) return;
      this.c.safely(fn);
      const iv = setInterval(() => !this.c.stopped && this.c.safely(fn), ms);
      iv.unref();
      this.timers.push(iv);
    }, Math.random() * ms);
    first.unref();
    this.timers.push(first);
  }
}
