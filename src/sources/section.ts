// The `sources:` section of lbagent.yml: member sources beside the balancer's gossip node. Each source gives
// members with a `role` tag (and `port`, `weight` tags), so roles.yml maps them to backends as it maps gossip
// members.
import { z } from 'zod';
import { dnsSourceSchema } from './dns/index.js';
import { consulSchema } from './consul/section.js';

export const sourcesSchema = z.strictObject({
  /** SRV names whose records are members (sources/dns/) */
  dns: z.array(dnsSourceSchema).optional(),
  /** members from Consul's catalog (consul/section.ts) */
  consul: consulSchema.optional(),
});
export type SourcesConfig = z.output<typeof sourcesSchema>;
