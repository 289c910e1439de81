// What goes out by UDP (memberlist's net.go sendMsg/rawSendMsgPacket, broadcast.go getBroadcasts and state.go
// gossip): messages with broadcasts piggy-backed up to the packet size, compounded, CRC'd for peers speaking
// protocol 5, encrypted; and the gossip round that spreads queued broadcasts to a few random peers.
import type { MemberNode } from './api.js';
import { encodeCompound, encodeUser, withCrc } from './codec.js';
import { shuffle, type Core } from './core.js';
import type { NodeStates } from './state.js';

const COMPOUND_OVERHEAD = 2; // uint16 length per part
const COMPOUND_HEADER = 2; // type + count

export class PacketSender {
  constructor(private readonly c: Core, private readonly state: NodeStates) {}

  sendPacket(node: MemberNode, msgs: Buffer[]): void {
    this.sendTo(node.addr, node.port, msgs, node.vsn[1]);
  }

  /** Piggy-backs broadcasts, compounds, adds CRC for peers speaking protocol 5, encrypts. */
  sendTo(addr: string, port: number, msgs: Buffer[], peerMax: number): void {
    if (this.c.stopped) return;
    const used = msgs.reduce((s, b) => s + b.length + COMPOUND_OVERHEAD, COMPOUND_HEADER);
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, this.c.t.udpBufferSize - used);
    this.send([...msgs, ...extra], addr, port, peerMax);
  }

  /** One gossip round: queued broadcasts to gossipNodes random peers, the recently dead included. */
  gossip(): void {
    const now = Date.now();
    const { t } = this.c;
    const candidates = this.state.peers((n) => n.state === 'alive' || n.state === 'suspect' || now - n.stateChange < t.gossipToTheDeadTimeMs);
    for (const n of shuffle(candidates).slice(0, t.gossipNodes)) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, t.udpBufferSize - COMPOUND_HEADER);
      if (msgs.length === 0) return;
      this.send(msgs, n.addr, n.port, n.vsn[1]);
    }
  }

  private send(all: Buffer[], addr: string, port: number, peerMax: number): void {
    let packet = all.length === 1 ? all[0]! : encodeCompound(all);
    if (peerMax >= 5) packet = withCrc(packet);
    if (this.c.ring.enabled) packet = this.c.ring.encrypt(packet);
    this.c.st.packetsSent++;
    this.c.st.packetBytesSent += packet.length;
    this.c.transport.sendPacket(packet, addr, port);
  }

  /** Ours first (alive, suspect, dead), then the delegate's (serf's) as user messages, within `limit` bytes. */
  private getBroadcasts(overhead: number, limit: number): Buffer[] {
    const ours = this.state.broadcasts.getBroadcasts(overhead, limit);
    const used = ours.reduce((s, b) => s + b.length + overhead, 0);
    const theirs = this.c.cfg.delegate.getBroadcasts(overhead, limit - used).map((b) => encodeUser(b));
    return [...ours, ...theirs];
  }
}
