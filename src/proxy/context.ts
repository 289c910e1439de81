// What sessions share: the backends by name, counters per frontend, global connection accounting, loggers.
import type { Logger } from 'pino';
import type { BackendRuntime } from './backend.js';
import type { FrontendDef } from './model.js';
import { RateCounter } from './rate.js';

export class FrontendStats {
  current = 0;
  max = 0;
  total = 0;
  requests = 0;
  /** sessions and HTTP requests per second (HAProxy's rate and req_rate) */
  readonly sessionRate = new RateCounter();
  readonly requestRate = new RateCounter();
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  errors = 0;
  /** responses by class: 1xx..5xx, "other" */
  readonly statuses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 };

  countStatus(code: number): void {
    const k = code >= 100 && code < 600 ? (`${Math.floor(code / 100)}xx` as keyof typeof this.statuses) : 'other';
    this.statuses[k]++;
  }
}

export interface EngineContext {
  log: Logger;
  accessLog: Logger;
  backend(name: string): BackendRuntime | undefined;
}

export interface FrontendRef {
  def: FrontendDef;
  stats: FrontendStats;
}
