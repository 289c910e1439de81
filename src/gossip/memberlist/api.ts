// Contract of the memberlist layer (SWIM + Lifeguard), shaped like hashicorp/memberlist's public API.
// The serf layer (src/gossip/serf) depends on this file only, never on memberlist's internals.

export type Profile = 'lan' | 'wan' | 'local';

export type NodeStateName = 'alive' | 'suspect' | 'dead' | 'left';

/** memberlist's Node: what the layer knows of one member. */
export interface MemberNode {
  name: string;
  addr: string; // IP as text (IPv4 or IPv6)
  port: number;
  meta: Buffer; // opaque to memberlist; serf puts its msgpack-encoded tags here
  state: NodeStateName;
  incarnation: number;
  /** [pMin, pMax, pCur, dMin, dMax, dCur] as advertised in alive messages */
  vsn: [number, number, number, number, number, number];
}

/** Upward interfaces memberlist calls; serf implements them (memberlist's Delegate + EventDelegate). */
export interface MemberlistDelegate {
  /** Node metadata for our alive messages, at most `limit` bytes (memberlist's MetaMaxSize = 512). */
  nodeMeta(limit: number): Buffer;
  /** A user message (memberlist type 8) arrived: raw delegate bytes (serf's type byte + msgpack). */
  notifyMsg(msg: Buffer): void;
  /** Piggy-back: delegate broadcasts fitting in `limit` bytes, each costing `overhead` extra bytes. */
  getBroadcasts(overhead: number, limit: number): Buffer[];
  /** Our user state for a push/pull exchange (serf's pushPull message). */
  localState(join: boolean): Buffer;
  /** The peer's user state from a push/pull exchange. */
  mergeRemoteState(buf: Buffer, join: boolean): void;
  /** Ping delegate: payload for our acks (serf: 0x01 + msgpack coordinate). Optional. */
  ackPayload?(): Buffer;
  notifyPingComplete?(node: MemberNode, rttMs: number, payload: Buffer): void;
}

export interface MemberlistEvents {
  notifyJoin(node: MemberNode): void;
  notifyLeave(node: MemberNode): void; // dead or left: look at node.state
  notifyUpdate(node: MemberNode): void; // meta changed
}

export interface MemberlistConfig {
  name: string;
  bindAddr: string; // default 0.0.0.0
  bindPort: number; // default 7946; 0 = pick one (then read localNode().port)
  advertiseAddr?: string;
  advertisePort?: number;
  profile: Profile; // timers default to memberlist's LAN/WAN/LOCAL presets; fields below override
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  gossipIntervalMs?: number;
  gossipNodes?: number;
  indirectChecks?: number;
  retransmitMult?: number;
  suspicionMult?: number;
  suspicionMaxTimeoutMult?: number;
  pushPullIntervalMs?: number;
  tcpTimeoutMs?: number;
  deadNodeReclaimTimeMs?: number;
  gossipToTheDeadTimeMs?: number;
  awarenessMaxMultiplier?: number;
  /** Keys for AES-GCM (16/24/32 bytes). First is primary (encrypts); all decrypt. Empty = no encryption. */
  keys?: Buffer[];
  /** With keys set: also accept plain packets (memberlist's GossipVerifyIncoming=false). Default false. */
  acceptPlain?: boolean;
  /** Protocol version we speak; memberlist speaks 2 by default with range 1..5. Delegate version vector too. */
  protocolVersion?: number;
  delegateProtocolVersion?: number; // serf: 5 (range 2..5)
  delegateProtocolMin?: number;
  delegateProtocolMax?: number;
  delegate: MemberlistDelegate;
  events: MemberlistEvents;
  logger?: import('pino').Logger;
}

/** Counters of what came and went, and of dropped input by reason: `/v1/stats`, `lbagent members --verbose`, /metrics. */
export interface MemberlistStats {
  packetsReceived: number;
  packetsDropped: number; // malformed, truncated, wrong key, plain when encrypted, unknown type
  streamsDropped: number;
  dropReasons: Record<string, number>;
  /** UDP packets and their bytes (as on the wire: compounded, encrypted) */
  packetsSent: number;
  packetBytesSent: number;
  packetBytesReceived: number;
  /** TCP streams (push/pull, TCP pings, reliable messages): dialled, accepted, and their bytes */
  streamsOpened: number;
  streamsAccepted: number;
  streamBytesSent: number;
  streamBytesReceived: number;
  /** probes of the failure detector, those that ended in a suspicion, and the round trip of those answered */
  probes: number;
  probesFailed: number;
  probeRtt: RttBuckets;
  /** members this node marked suspect (its own probes or a peer's suspect message) */
  suspicions: number;
}

/** Round-trip times in buckets (ms, not cumulative; the last is over every bound), for /metrics. */
export interface RttBuckets {
  boundsMs: readonly number[];
  counts: number[];
  sum: number;
}

export interface Memberlist {
  /** Join through any of `addrs` ("host:port" or "host", default port 7946). Resolves to how many answered; rejects if none. */
  join(addrs: string[]): Promise<number>;
  /** Broadcast our own dead-by-self message (leave intent at this layer) and wait up to timeoutMs for it to spread. */
  leave(timeoutMs: number): Promise<void>;
  /** Stop timers and close sockets. */
  shutdown(): Promise<void>;
  members(): MemberNode[]; // alive + suspect (memberlist's Members())
  allNodes(): MemberNode[]; // including dead/left not yet reaped
  localNode(): MemberNode;
  numMembers(): number;
  /** Re-broadcast our alive message with fresh meta (after tag changes). */
  updateNode(timeoutMs: number): Promise<void>;
  /** memberlist's SendBestEffort / SendReliable: a user message (type 8) to one node. */
  sendBestEffort(node: MemberNode, msg: Buffer): void;
  sendReliable(node: MemberNode, msg: Buffer): Promise<void>;
  /** Local health score (Lifeguard awareness), 0 = healthy. */
  healthScore(): number;
  stats(): MemberlistStats;
  keyring(): { primary(): Buffer | undefined; keys(): Buffer[]; install(k: Buffer): void; use(k: Buffer): void; remove(k: Buffer): void };
}

/**
 * memberlist's TransmitLimitedQueue: each broadcast is sent retransmitMult·ceil(log10(N+1)) times; a newer
 * broadcast about the same name invalidates the older. Serf keeps three of these (intents, events, queries).
 */
export interface BroadcastQueueLike {
  queue(b: { name?: string; unique?: boolean; message: Buffer; finished?: () => void }): void;
  getBroadcasts(overhead: number, limit: number): Buffer[];
  numQueued(): number;
  prune(maxRetain: number): void;
}

// Implementation entry points (implemented in this folder):
//   createMemberlist(config: MemberlistConfig): Promise<Memberlist>   -- ./memberlist.ts
//   class BroadcastQueue implements BroadcastQueueLike                  -- ./queue.ts
//     constructor(opts: { retransmitMult: number; numNodes: () => number })
//   PROFILES: memberlist's LAN, WAN and LOCAL timers                   -- ./config.ts
