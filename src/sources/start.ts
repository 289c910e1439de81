// Starts the member sources the `sources:` section names; the balancer merges them with its gossip node.
import type { Logger } from 'pino';
import type { MemberSource } from '../interfaces/index.js';
import type { SourcesConfig } from './section.js';
import { DnsMemberSource, dnsSourceSettings } from './dns/index.js';

export interface RunningSource extends MemberSource {
  stop(): Promise<void>;
}

export async function startSources(config: SourcesConfig | undefined, log: Logger): Promise<RunningSource[]> {
  const dns = (config?.dns ?? []).map((c) => new DnsMemberSource(dnsSourceSettings(c), log));
  await Promise.all(dns.map((s) => s.start()));
  return [...dns];
}
