// The member table and its SWIM states with Lifeguard (memberlist's state.go aliveNode, suspectNode, deadNode,
// refute and resetNodes): what every alive, suspect and dead message does to it, and what is broadcast in turn.
import type { MemberNode, NodeStateName } from './api.js';
import { encodeAlive, encodeDead, encodeSuspect, wireAddr, type Alive, type Dead, type Suspect } from './codec.js';
import { suspicionTimeout } from './config.js';
import type { Core } from './core.js';
import { BroadcastQueue } from './queue.js';
import { expectedConfirmations, Suspicion } from './suspicion.js';

export interface NodeEntry extends MemberNode {
  stateChange: number;
  /** the address as received (see Alive.addrBytes) */
  addrBytes?: Buffer;
}

export class NodeStates {
  readonly nodes = new Map<string, NodeEntry>();
  /** our alive, suspect and dead messages, piggy-backed on what we send */
  readonly broadcasts: BroadcastQueue;
  private readonly suspicions = new Map<string, Suspicion>();
  private incarnation = 0;
  /** the probe round: every node once, in random order (see Prober) */
  probeOrder: string[] = [];

  constructor(private readonly c: Core) {
    this.broadcasts = new BroadcastQueue({ retransmitMult: c.t.retransmitMult, numNodes: () => this.numMembers() });
  }

  local(): NodeEntry {
    return this.nodes.get(this.c.name)!;
  }

  numMembers(): number {
    let n = 0;
    for (const x of this.nodes.values()) if (x.state === 'alive' || x.state === 'suspect') n++;
    return n;
  }

  /** Other nodes that pass `pred`. */
  peers(pred: (n: NodeEntry) => boolean): NodeEntry[] {
    return [...this.nodes.values()].filter((n) => n.name !== this.c.name && pred(n));
  }

  anyAlivePeer(): boolean {
    for (const n of this.nodes.values()) if (n.name !== this.c.name && n.state === 'alive') return true;
    return false;
  }

  nextIncarnation(): number {
    return ++this.incarnation;
  }

  aliveNode(a: Alive, bootstrap = false): void {
    const { c } = this;
    const isLocal = a.node === c.name;
    const existing = this.nodes.get(a.node);
    if (c.leaving && isLocal) return;
    if (!existing) return this.addNode(a);
    if (isLocal && !bootstrap) return this.refuteAlive(existing, a);
    const wasDown = existing.state === 'dead' || existing.state === 'left';
    // Another address under a known name: only a dead node past DeadNodeReclaimTime may be taken over.
    const reclaimed = !isLocal && !sameAddress(existing, a);
    if (reclaimed && !this.mayReclaim(existing, a, wasDown)) return;
    if (a.incarnation <= existing.incarnation && !bootstrap && !reclaimed) return;
    this.reviveOrUpdate(existing, a, wasDown);
  }

  /** A node we did not know: into the table, the probe order and the gossip. */
  private addNode(a: Alive): void {
    const { c } = this;
    const n: NodeEntry = { name: a.node, addr: a.addr, addrBytes: a.addrBytes, port: a.port, meta: a.meta, state: 'alive', incarnation: a.incarnation, vsn: toVsn(a.vsn), stateChange: Date.now() };
    this.nodes.set(a.node, n);
    // A newcomer goes at a random place of the probe order so it is probed fairly soon.
    this.probeOrder.splice(Math.floor(Math.random() * (this.probeOrder.length + 1)), 0, a.node);
    this.broadcast(a.node, encodeAlive(a));
    c.log?.info({ node: a.node, addr: `${a.addr}:${a.port}` }, `memberlist: EventMemberJoin: ${a.node} ${a.addr}`);
    c.safely(() => c.cfg.events.notifyJoin(publicNode(n)));
  }

  /** Someone gossips about us: refute anything that is not exactly what we said. */
  private refuteAlive(me: NodeEntry, a: Alive): void {
    if (a.incarnation < me.incarnation) return;
    if (a.incarnation === me.incarnation && a.meta.equals(me.meta) && sameVsn(a.vsn, me.vsn)) return;
    this.refute(me, a.incarnation);
  }

  /** A known name at another address: true if the node is dead for long enough to be taken over, else counted and logged. */
  private mayReclaim(existing: NodeEntry, a: Alive, wasDown: boolean): boolean {
    const { c } = this;
    if (wasDown && c.t.deadNodeReclaimTimeMs > 0 && Date.now() - existing.stateChange > c.t.deadNodeReclaimTimeMs) return true;
    c.st.dropReasons['address conflict'] = (c.st.dropReasons['address conflict'] ?? 0) + 1;
    c.log?.warn({ node: a.node }, `memberlist: Conflicting address for ${a.node}. Mine: ${existing.addr}:${existing.port} Theirs: ${a.addr}:${a.port} Old state: ${existing.state}`);
    return false;
  }

  /** A newer alive of a known node: take it, gossip it, and tell of a rejoin or changed meta. */
  private reviveOrUpdate(existing: NodeEntry, a: Alive, wasDown: boolean): void {
    const { c } = this;
    this.suspicions.get(a.node)?.stop();
    this.suspicions.delete(a.node);
    const metaChanged = !existing.meta.equals(a.meta);
    Object.assign(existing, { addr: a.addr, addrBytes: a.addrBytes, port: a.port, meta: a.meta, incarnation: a.incarnation, vsn: toVsn(a.vsn) });
    if (existing.state !== 'alive') Object.assign(existing, { state: 'alive', stateChange: Date.now() });
    this.broadcast(a.node, encodeAlive(a));
    if (wasDown) {
      c.log?.info({ node: a.node }, `memberlist: EventMemberJoin: ${a.node} ${a.addr}`);
      c.safely(() => c.cfg.events.notifyJoin(publicNode(existing)));
    } else if (metaChanged) {
      c.log?.info({ node: a.node }, `memberlist: EventMemberUpdate: ${a.node}`);
      c.safely(() => c.cfg.events.notifyUpdate(publicNode(existing)));
    }
  }

  suspectNode(s: Suspect): void {
    const { c } = this;
    const n = this.nodes.get(s.node);
    if (!n || s.incarnation < n.incarnation) return;
    const running = this.suspicions.get(s.node);
    if (running && n.state === 'suspect') {
      if (running.confirm(s.from)) this.broadcast(s.node, encodeSuspect(s));
      return;
    }
    if (n.state !== 'alive') return;
    if (s.node === c.name) {
      if (!c.leaving) this.refute(n, s.incarnation);
      return;
    }
    Object.assign(n, { state: 'suspect', incarnation: s.incarnation, stateChange: Date.now() });
    c.st.suspicions++;
    this.broadcast(s.node, encodeSuspect(s));
    const members = this.numMembers();
    const min = suspicionTimeout(c.t.suspicionMult, members, c.t.probeIntervalMs);
    const k = expectedConfirmations(c.t.suspicionMult, members);
    const inc = n.incarnation;
    c.log?.info({ node: s.node, from: s.from }, `memberlist: Suspect ${s.node} has failed, no acks received`);
    this.suspicions.set(s.node, new Suspicion(s.from, k, min, min * c.t.suspicionMaxTimeoutMult, (confirmations) => {
      const cur = this.nodes.get(s.node);
      if (!cur || cur.state !== 'suspect' || cur.incarnation !== inc || c.stopped) return;
      c.log?.info({ node: s.node, confirmations }, `memberlist: Marking ${s.node} as failed, suspect timeout reached (${confirmations} peer confirmations)`);
      this.deadNode({ incarnation: inc, node: s.node, from: c.name });
    }));
  }

  deadNode(d: Dead): void {
    const { c } = this;
    const n = this.nodes.get(d.node);
    if (!n || d.incarnation < n.incarnation) return;
    this.suspicions.get(d.node)?.stop();
    this.suspicions.delete(d.node);
    if (n.state === 'dead' || n.state === 'left') return;
    if (d.node === c.name && !c.leaving) {
      this.refute(n, d.incarnation);
      return;
    }
    const state: NodeStateName = d.from === d.node ? 'left' : 'dead';
    Object.assign(n, { state, incarnation: d.incarnation, stateChange: Date.now() });
    this.broadcast(d.node, encodeDead(d));
    c.log?.info({ node: d.node, state }, `memberlist: EventMemberLeave${state === 'dead' ? ' (failed)' : ''}: ${d.node} ${n.addr}`);
    c.safely(() => c.cfg.events.notifyLeave(publicNode(n)));
  }

  private refute(me: NodeEntry, accusedInc: number): void {
    this.incarnation = Math.max(this.incarnation, accusedInc) + 1;
    me.incarnation = this.incarnation;
    this.c.awareness.apply(1);
    this.c.log?.warn({ incarnation: me.incarnation }, 'memberlist: Refuting a suspect message');
    this.broadcast(me.name, encodeAlive({ incarnation: me.incarnation, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: me.vsn }));
  }

  private broadcast(name: string, message: Buffer): void {
    this.broadcasts.queue({ name, message });
  }

  /** Forget dead and left nodes once they have been gossiped about long enough (memberlist's resetNodes). */
  reap(): void {
    const now = Date.now();
    for (const n of [...this.nodes.values()]) {
      if ((n.state === 'dead' || n.state === 'left') && now - n.stateChange > this.c.t.gossipToTheDeadTimeMs) this.nodes.delete(n.name);
    }
    this.probeOrder = this.probeOrder.filter((name) => this.nodes.has(name));
  }

  stop(): void {
    this.suspicions.forEach((s) => s.stop());
  }
}

/** A copy the layer above may keep: our entries change in place. */
export function publicNode(n: NodeEntry): MemberNode {
  return { name: n.name, addr: n.addr, port: n.port, meta: n.meta, state: n.state, incarnation: n.incarnation, vsn: [...n.vsn] as MemberNode['vsn'] };
}

function toVsn(v: number[]): MemberNode['vsn'] {
  return [v[0] ?? 1, v[1] ?? 2, v[2] ?? 2, v[3] ?? 0, v[4] ?? 0, v[5] ?? 0];
}

function sameVsn(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Byte for byte, as memberlist: 10.0.0.5 in 4 bytes and in 16 are two addresses to serf. */
function sameAddress(n: NodeEntry, a: Alive): boolean {
  return wireAddr(n).equals(wireAddr(a)) && n.port === a.port;
}
