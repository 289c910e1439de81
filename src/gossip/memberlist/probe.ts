// The failure detector (memberlist's state.go probe/probeNode and net.go's ping handlers), both sides of it:
// each round probes one member by UDP ping, then through indirectChecks others and a TCP ping, and raises a
// suspicion when nothing answers; we answer pings and relay indirect ones for others. Lifeguard's awareness
// stretches the timers while we are the slow one.
import { encodeAck, encodeIndirectPing, encodeNack, encodePing, decodePacket, MsgType, type IndirectPing, type Ping } from './codec.js';
import { shuffle, type Core } from './core.js';
import type { PacketSender } from './send.js';
import { publicNode, type NodeEntry, type NodeStates } from './state.js';
import type { Streams } from './stream.js';
import type { PacketFrom } from './transport.js';

interface AckWaiter {
  onAck: (payload: Buffer) => void;
  onNack?: () => void;
}

export class Prober {
  private readonly acks = new Map<number, AckWaiter>();
  private seq = 0;
  private probeIndex = 0;

  constructor(private readonly c: Core, private readonly state: NodeStates, private readonly out: PacketSender, private readonly streams: Streams) {}

  // ---------- probing others ----------
  async probe(): Promise<void> {
    const { c } = this;
    if (c.stopped) return;
    const target = this.nextTarget();
    if (!target) return;
    const me = this.state.local();
    const seq = this.nextSeq();
    const sent = Date.now();
    const interval = c.awareness.scale(c.t.probeIntervalMs);
    c.st.probes++;
    const ackP = this.waitAck(seq, interval);
    this.out.sendPacket(target, [encodePing({ seqNo: seq, node: target.name, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })]);
    const first = await Promise.race([ackP, delay(c.awareness.scale(c.t.probeTimeoutMs)).then(() => 'timeout' as const)]);
    if (first !== 'timeout' && first !== undefined) return this.probeOk(target, sent, first);
    if (c.stopped) return;
    // Indirect probes through k other members, and a TCP ping in case only UDP is broken.
    let nacks = 0;
    const helpers = shuffle(this.state.peers((n) => n.state === 'alive' && n.name !== target.name)).slice(0, c.t.indirectChecks);
    const expectNacks = helpers.filter((h) => h.vsn[1] >= 4).length;
    const waiter = this.acks.get(seq);
    if (!waiter) return this.probeOk(target, sent, Buffer.alloc(0)); // the ack won the race with our timeout
    waiter.onNack = () => nacks++;
    for (const h of helpers) {
      this.out.sendPacket(h, [encodeIndirectPing({ seqNo: seq, target: target.addr, port: target.port, node: target.name, nack: h.vsn[1] >= 4, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })]);
    }
    const tcp = this.tcpPing(target, seq, Math.max(1, interval - (Date.now() - sent)));
    const result = await Promise.race([ackP, tcp.then((ok) => (ok ? Buffer.alloc(0) : ackP))]);
    if (result !== undefined) return this.probeOk(target, sent, result);
    if (c.stopped) return;
    c.awareness.apply(1 + Math.max(0, expectNacks - nacks));
    c.st.probesFailed++;
    c.log?.info({ node: target.name }, `memberlist: Suspect ${target.name} has failed, no acks received`);
    this.state.suspectNode({ incarnation: target.incarnation, node: target.name, from: c.name });
  }

  /** The next alive or suspect member of the round; a new round (reaped, reshuffled) when this one is done. */
  private nextTarget(): NodeEntry | undefined {
    const { state } = this;
    for (let tries = 0; tries <= state.probeOrder.length; tries++) {
      if (this.probeIndex >= state.probeOrder.length) {
        state.reap();
        state.probeOrder = shuffle(state.probeOrder);
        this.probeIndex = 0;
      }
      const name = state.probeOrder[this.probeIndex++];
      const n = name !== undefined ? state.nodes.get(name) : undefined;
      if (n && n.name !== this.c.name && (n.state === 'alive' || n.state === 'suspect')) return n;
    }
    return undefined;
  }

  private probeOk(target: NodeEntry, sent: number, payload: Buffer): void {
    this.c.awareness.apply(-1);
    this.c.noteRtt(Date.now() - sent);
    this.c.cfg.delegate.notifyPingComplete?.(publicNode(target), Date.now() - sent, payload);
  }

  private async tcpPing(target: NodeEntry, seq: number, timeoutMs: number): Promise<boolean> {
    if (target.vsn[1] < 3) return false;
    try {
      const sock = await this.streams.dial(target.addr, target.port, timeoutMs);
      sock.on('error', () => {});
      try {
        const me = this.state.local();
        await this.streams.write(sock, encodePing({ seqNo: seq, node: target.name, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name }));
        const plain = await this.streams.read(sock, timeoutMs);
        const ack = decodePacket(plain)[0];
        return ack?.type === MsgType.Ack && ack.body.seqNo === seq;
      } finally {
        sock.destroy();
      }
    } catch {
      return false;
    }
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private waitAck(seq: number, timeoutMs: number, onNack?: () => void): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.acks.delete(seq), resolve(undefined)), timeoutMs);
      timer.unref();
      this.acks.set(seq, { onAck: (p) => (clearTimeout(timer), this.acks.delete(seq), resolve(p)), onNack });
    });
  }

  // ---------- answering ----------
  onAck(seqNo: number, payload: Buffer): void {
    const w = this.acks.get(seqNo);
    if (w) w.onAck(payload);
  }

  onNack(seqNo: number): void {
    this.acks.get(seqNo)?.onNack?.();
  }

  onPing(p: Ping, from: PacketFrom): void {
    const to = p.sourceAddr && p.sourcePort ? { addr: p.sourceAddr, port: p.sourcePort } : from;
    this.out.sendTo(to.addr, to.port, [encodeAck({ seqNo: p.seqNo, payload: this.c.ackPayload() })], 5);
  }

  /** Ping `p.target` for a member that could not reach it; relay the ack, or a nack when none came in time. */
  onIndirectPing(p: IndirectPing, from: PacketFrom): void {
    const back = p.sourceAddr && p.sourcePort ? { addr: p.sourceAddr, port: p.sourcePort } : from;
    const seq = this.nextSeq();
    const timer = setTimeout(() => {
      this.acks.delete(seq);
      if (p.nack) this.out.sendTo(back.addr, back.port, [encodeNack({ seqNo: p.seqNo })], 5);
    }, this.c.t.probeTimeoutMs);
    timer.unref();
    this.acks.set(seq, {
      onAck: () => {
        clearTimeout(timer);
        this.acks.delete(seq);
        this.out.sendTo(back.addr, back.port, [encodeAck({ seqNo: p.seqNo, payload: Buffer.alloc(0) })], 5);
      },
    });
    const me = this.state.local();
    this.out.sendTo(p.target, p.port, [encodePing({ seqNo: seq, node: p.node, sourceAddr: me.addr, sourcePort: me.port, sourceNode: me.name })], 5);
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
