// What sessions share: the backends by name, global connection accounting, loggers, and their frontend.
import type { Logger } from 'pino';
import type { FrontendDef } from '../model/defs.js';
import type { FrontendStats } from '../observe/counters.js';
import type { BackendRuntime } from './backend.js';

export interface EngineContext {
  log: Logger;
  accessLog: Logger;
  backend(name: string): BackendRuntime | undefined;
}

export interface FrontendRef {
  def: FrontendDef;
  stats: FrontendStats;
}
