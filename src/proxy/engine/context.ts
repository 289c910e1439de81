// What sessions share: the backends by name, global connection accounting, loggers, and their frontend.
import type { Logger } from 'pino';
import type { FrontendDef } from '../model/defs.js';
import type { FrontendStats } from '../observe/counters.js';
import type { LogSinks } from '../observe/log-sink.js';
import type { BackendRuntime } from './backend.js';

export interface EngineContext {
  log: Logger;
  accessLog: Logger;
  /** the access log's `log` targets (syslog, stdout, stderr) */
  sinks: LogSinks;
  /** connections of the whole process (%ac) */
  readonly conns: { readonly current: number };
  backend(name: string): BackendRuntime | undefined;
}

export interface FrontendRef {
  def: FrontendDef;
  stats: FrontendStats;
}
