// Starts the member sources the `sources:` section names; the balancer merges them with its gossip node.
import type { Logger } from 'pino';
import type { MemberSource } from '../interfaces/index.js';
import type { SourcesConfig } from './section.js';
import type { SourceStatus } from './status.js';
import { DnsMemberSource, dnsSourceSettings } from './dns/index.js';
import { startConsulSource } from './consul/start.js';

export interface RunningSource extends MemberSource {
  stop(): Promise<void>;
  status(): SourceStatus;
}

/** `configDir`: relative files (Consul's ca_file) are relative to lbagent.yml. */
export async function startSources(config: SourcesConfig | undefined, log: Logger, opts: { configDir?: string } = {}): Promise<RunningSource[]> {
  const dns = (config?.dns ?? []).map((c) => new DnsMemberSource(dnsSourceSettings(c), log));
  await Promise.all(dns.map((s) => s.start()));
  const out: RunningSource[] = [...dns];
  if (config?.consul) out.push(await startConsulSource(config.consul, log.child({ part: 'consul' }), opts.configDir));
  return out;
}
