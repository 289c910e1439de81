// Starts the member sources the `sources:` section names; the balancer merges them with its gossip node.
import type { Logger } from 'pino';
import type { MemberSource } from '../interfaces/index.js';
import type { SourcesConfig } from './section.js';

export interface RunningSource extends MemberSource {
  stop(): Promise<void>;
}

export async function startSources(_config: SourcesConfig | undefined, _log: Logger): Promise<RunningSource[]> {
  return [];
}
