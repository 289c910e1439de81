// Starts the Consul member source from its section: reads the CA bundle, waits briefly for the first answers so
// the balancer's first pools already hold Consul's instances.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigRead, errorMessage } from '../../errors/index.js';
import { ConsulClient } from './api.js';
import { CONSUL_DEFAULTS, type ConsulConfig } from './section.js';
import { ConsulMemberSource } from './source.js';

/** How long the balancer's start waits for Consul's first answers (an unreachable Consul delays it no more). */
const FIRST_ANSWER_MS = 3000;
/** Consul's advice: let a churning result degrade to polling; a load balancer wants changes fast, so 1 s. */
const MIN_INTERVAL_MS = 1000;

export async function startConsulSource(c: ConsulConfig, log: Logger, configDir = '.'): Promise<ConsulMemberSource> {
  let ca: Buffer | undefined;
  if (c.ca_file !== undefined) {
    const file = isAbsolute(c.ca_file) ? c.ca_file : resolve(configDir, c.ca_file);
    try {
      ca = readFileSync(file);
    } catch (err) {
      throw new ConfigRead(`sources.consul.ca_file ${file}: ${errorMessage(err)}`);
    }
  }
  const address = c.address ?? CONSUL_DEFAULTS.address;
  const source = new ConsulMemberSource({
    client: new ConsulClient({ address, token: c.token, ca }),
    address,
    mappings: c.services,
    datacenter: c.datacenter,
    waitMs: c.wait ?? CONSUL_DEFAULTS.waitMs,
    retryMs: c.retry ?? CONSUL_DEFAULTS.retryMs,
    minIntervalMs: MIN_INTERVAL_MS,
    warning: c.warning ?? CONSUL_DEFAULTS.warning,
    log,
  });
  source.start();
  await source.ready(FIRST_ANSWER_MS);
  const names = c.services.map((m) => (m.name !== undefined ? m.name : `tag ${m.tag}`)).join(', ');
  log.info({ consul: address, datacenter: c.datacenter }, `consul: watching ${names} at ${address}${c.datacenter ? ` (datacenter ${c.datacenter})` : ''}: ${source.members().length} members`);
  return source;
}
