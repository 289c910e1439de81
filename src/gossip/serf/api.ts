import type { KeyOp, KeyOpResult } from './keys.js';
// Contract of the serf layer, shaped like hashicorp/serf's library API. The agent (src/agent), the
// CLI and the controller's gossip member source depend on this file only.
import type { Profile, MemberlistStats } from '../memberlist/api.js';

export type SerfMemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

/** What a node counts, for `/v1/stats`, `lbagent members --verbose` and /metrics (plain numbers: no metrics library here). */
export interface SerfStats {
  memberlist: MemberlistStats;
  serfDropped: number;
  serfDropReasons: Record<string, number>;
  memberTime: number;
  eventTime: number;
  queryTime: number;
  members: number;
  failed: number;
  left: number;
  healthScore: number;
  membersByStatus: Record<SerfMemberStatus, number>;
  /** user events and queries this node sent, and new ones from peers */
  eventsSent: number;
  eventsReceived: number;
  queriesSent: number;
  queriesReceived: number;
}

export interface SerfMember {
  name: string;
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: SerfMemberStatus;
  protocol: { min: number; max: number; cur: number; delegateMin: number; delegateMax: number; delegateCur: number };
}

export type SerfEvent =
  | { type: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'; members: SerfMember[] }
  | { type: 'user'; name: string; payload: Buffer; ltime: number; coalesce: boolean; replayed: boolean }
  | { type: 'query'; name: string; payload: Buffer; ltime: number; id: number; respond(payload: Buffer): Promise<void> };

export interface SerfConfig {
  nodeName: string;
  bindAddr: string; // default 0.0.0.0
  bindPort: number; // default 7946; 0 = any
  advertiseAddr?: string;
  advertisePort?: number;
  tags: Record<string, string>;
  profile: Profile; // lan (default) | wan | local
  /** base64 keys as serf's -encrypt; the first is primary */
  encryptKeys?: string[];
  /** member events coalescing (serf agent: on, 3s quantum / 1s quiescent); library default off */
  coalesceMemberEvents?: { quantumMs: number; quiescentMs: number } | false;
  coalesceUserEvents?: { quantumMs: number; quiescentMs: number } | false;
  reapIntervalMs?: number; // 15s
  reconnectIntervalMs?: number; // 30s
  reconnectTimeoutMs?: number; // 24h
  tombstoneTimeoutMs?: number; // 24h
  eventBuffer?: number; // 512
  queryBuffer?: number; // 512
  recentIntentTimeoutMs?: number; // 5m
  /**
   * serf's snapshot (-snapshot): members and Lamport clocks kept in this file, replayed at start to restore the
   * clocks and rejoin the members it knew. Unset = none.
   */
  snapshotPath?: string;
  /** serf's rejoin_after_leave: a graceful leave does not clear the snapshot's members; rejoin them at start. */
  rejoinAfterLeave?: boolean;
  /** compaction threshold floor (serf: 128 KiB); tests use a small one */
  snapshotMinCompactSize?: number;
  /** Overrides of memberlist timers (tests use shorter ones). */
  memberlist?: Partial<import('../memberlist/api.js').MemberlistConfig>;
  logger?: import('pino').Logger;
}

export interface Serf {
  localMember(): SerfMember;
  members(): SerfMember[];
  /** Join via any address; `replay` = deliver old user events learned at join (serf join -replay). */
  join(addrs: string[], replay?: boolean): Promise<number>;
  leave(): Promise<void>;
  /** serf's force-leave: a failed member becomes left everywhere; `prune` erases it at once. */
  forceLeave(node: string, prune?: boolean): Promise<void>;
  shutdown(): Promise<void>;
  userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void>;
  /** serf query: resolves with the responses when the timeout passes (or `expect` members answered). */
  query(name: string, payload: Buffer, opts?: QueryOptions): Promise<Array<{ from: string; payload: Buffer }>>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Subscribe to events; returns unsubscribe. */
  subscribe(listener: (e: SerfEvent) => void): () => void;
  stats(): SerfStats;
  /** This node's keyring. */
  keys(): { list(): string[]; install(k: string): void; use(k: string): void; remove(k: string): void };
  /** Keyring change (or list) on every alive member, as `serf keys` (internal `_serf_*-key` queries). */
  keyOp(op: KeyOp, key?: string): Promise<KeyOpResult>;
}

// Implementation entry point: createSerf(config: SerfConfig): Promise<Serf>   -- ./serf.ts

/** serf's query parameters (`serf query -node -tag -no-ack -timeout`). */
export interface QueryOptions {
  /** default: serf's GossipInterval × 16 × ceil(log10(members + 1)) */
  timeoutMs?: number;
  /** only these nodes take the query */
  filterNodes?: string[];
  /** only members whose tag matches each regexp (unanchored) take the query */
  filterTags?: Record<string, string>;
  /** every node that takes the query acknowledges it */
  requestAck?: boolean;
  /** resolve as soon as this many members answered */
  expect?: number;
  /** the query passed its checks and goes out now (before any ack or response) */
  onDispatched?(): void;
  /** each ack and response as it arrives (once per node) */
  onAck?(from: string): void;
  onResponse?(from: string, payload: Buffer): void;
}

/** The addresses of a node's config from the host:port pairs the agent and the balancer are given. */
export function nodeAddresses(bind: { host: string; port: number }, advertise?: { host: string; port?: number }): Pick<SerfConfig, 'bindAddr' | 'bindPort' | 'advertiseAddr' | 'advertisePort'> {
  return { bindAddr: bind.host, bindPort: bind.port, advertiseAddr: advertise?.host, advertisePort: advertise?.port };
}
