// What both RPCs (HTTP+JSON and serf's msgpack) need from the agent, kept narrow so they can be tested on their
// own, and the member shape the HTTP RPC answers with.
import type { KeyOp, KeyOpResult } from '../gossip/index.js';
import type { QueryOptions, SerfEvent, SerfMember } from '../gossip/index.js';
import type { LogEntry } from '../log/index.js';

export interface RpcTarget {
  info(): { name: string; addr: string; port: number; tags: Record<string, string> };
  members(): SerfMember[];
  join(addrs: string[], replay: boolean): Promise<number>;
  leave(): Promise<void>;
  forceLeave(node: string, prune: boolean): Promise<void>;
  userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void>;
  setTags(set: Record<string, string>, del: string[]): Promise<void>;
  stats(): unknown;
  /** GET /metrics: Prometheus' text and its content type */
  metrics?(): Promise<{ text: string; contentType: string }>;
  /** `serf monitor`: the kept log lines at `minLevel` or above, then each new one; returns the unsubscribe */
  monitor(minLevel: number, onLine: (e: LogEntry) => void): () => void;
  /** `serf query`: acks and responses go to the options' callbacks as they arrive */
  query(name: string, payload: Buffer, opts: QueryOptions): Promise<Array<{ from: string; payload: Buffer }>>;
  /** `serf keys`: every alive member's keyring */
  keyOp(op: KeyOp, key?: string): Promise<KeyOpResult>;
  subscribe(listener: (e: SerfEvent) => void): () => void;
  /** payload serf's maintenance scripts send: "NODE IP ROLE" */
  maintenancePayload(): string;
}

export interface MemberJson {
  name: string;
  addr: string;
  port: number;
  status: string;
  tags: Record<string, string>;
  protocol?: SerfMember['protocol'];
}

export function memberJson(m: SerfMember, verbose = false): MemberJson {
  const j: MemberJson = { name: m.name, addr: m.addr, port: m.port, status: m.status, tags: m.tags };
  if (verbose) j.protocol = m.protocol;
  return j;
}
