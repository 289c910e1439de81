// What the control process and its proxy workers say to each other over the cluster IPC channel
// (structured clone: the config is plain data, compiled again on each side).
import type { MainConfig } from '../../config/main.js';
import type { ServerSpec } from '../../interfaces/pool-driver.js';
import type { ServerHealth } from '../backend.js';
import type { WorkerCounters } from './counters.js';

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
