// What the control process and its proxy workers say to each other over the cluster IPC channel
// (structured clone: the config is plain data, compiled again on each side).
import type { MainConfig } from '../../main-config/index.js';
import type { ServerSpec } from '../../interfaces/index.js';
import type { ServerHealth } from '../engine/backend.js';
import type { Endpoint } from '../../net/index.js';
import type { StatusCounts } from '../observe/counters.js';
import type { TimingCounts } from '../observe/timings.js';

/** One backend's servers as the control process has them: the list, admin state, weight, and health. */
export interface PoolState {
  name: string;
  servers: ServerSpec[];
  health: ServerHealth[];
}

export type ToWorker =
  | { type: 'start'; config: MainConfig; pools: PoolState[]; workers: number; logLevel: string }
  | { type: 'reload'; id: number; config: MainConfig; pools: PoolState[] }
  | { type: 'pools'; id: number; pools: PoolState[] }
  | { type: 'counters?'; id: number }
  | { type: 'stop'; graceMs: number };

export type FromWorker =
  /** listening for messages (one sent before would be lost): send `start` */
  | { type: 'hello' }
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reloaded'; id: number; error?: string }
  | { type: 'pools-applied'; id: number }
  | { type: 'counters'; id: number; counters: WorkerCounters };

// A worker's traffic counters, as it sends them (and as the control process sums them: cluster/counters.ts).
export type Statuses = Pick<StatusCounts, '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other'>;
export type Rate = [rate: number, max: number];

export interface WorkerShare {
  pid: number;
  connections: number;
  sessions: number;
  requests: number;
}

export interface FrontendCounters {
  addresses: Endpoint[];
  current: number;
  max: number;
  total: number;
  requests: number;
  sessionRate: Rate;
  requestRate: Rate;
  bytesIn: number;
  bytesOut: number;
  deniedReq: number;
  errors: number;
  statuses: Statuses;
}

export interface ServerCounters {
  active: number;
  maxActive: number;
  total: number;
  sessionRate: Rate;
  bytesIn: number;
  bytesOut: number;
  failedConns: number;
  failedResp: number;
  requests: number;
  statuses: Statuses;
  /** latency bucket counts (with `metrics.server_histograms`; zeros otherwise) */
  timings: TimingCounts;
}

export interface BackendCounters {
  total: number;
  requests: number;
  sessionRate: Rate;
  bytesIn: number;
  bytesOut: number;
  deniedReq: number;
  errors: number;
  statuses: Statuses;
  queued: number;
  maxQueue: number;
  /** latency bucket counts, summed bucket by bucket */
  timings: TimingCounts;
  /** by server name; a removed server still finishing its sessions adds to the entry of its name */
  servers: Record<string, ServerCounters>;
}

export interface WorkerCounters {
  /** per worker: who it is and how much it carried (sums keep the list of every worker) */
  workers: WorkerShare[];
  connections: number;
  frontends: Record<string, FrontendCounters>;
  backends: Record<string, BackendCounters>;
}
