// The `sources.dns` entries of lbagent.yml: SRV names whose records become members (HAProxy's `server-template`
// with a `resolvers` section). Durations follow HAProxy's resolvers words where they have one.
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration, oneOf } from '../../config/index.js';
import { parseHostPort } from '../../net/index.js';

const RESOLVER_EXPECTED = 'an IP address with an optional port, e.g. 10.0.0.2, 10.0.0.2:53, [fd00::2]:5353';

/** A name server as Node's Resolver.setServers takes it ("ip:port", "[v6]:port"); port 53 when none. */
const resolverAddr = z.string().transform((v, ctx) => {
  const hp = parseHostPort(v, 53);
  if (!hp || !isIP(hp.host) || hp.port < 1) {
    ctx.addIssue({ code: 'custom', message: `invalid resolver address '${v}'`, params: { expected: RESOLVER_EXPECTED } });
    return z.NEVER;
  }
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
});

/** A duration no shorter than `min` ms (a 0 s interval would resolve in a busy loop). */
const atLeast = (min: number) => duration().pipe(z.number().min(min, { message: `must be at least ${min}ms` }));

export const dnsSourceSchema = z.strictObject({
  /** the SRV name, e.g. _http._tcp.web.default.svc.cluster.local or web.service.consul */
  name: z.string().min(1).max(253),
  /** the role tag its members get (roles.yml maps it to backends) */
  role: z.string().min(1),
  /** name servers (HAProxy's `nameserver`); default: the system's (/etc/resolv.conf) */
  resolvers: z.array(resolverAddr).min(1).optional(),
  /** resolve again this often (HAProxy's `timeout resolve`, `hold valid`); sooner when an A/AAAA TTL ends first */
  interval: atLeast(100).optional(),
  /** one query's deadline (HAProxy's `timeout retry`) */
  timeout: atLeast(10).optional(),
  /** tries per query and name server before the round fails (HAProxy's `resolve_retries`) */
  retries: z.number().int().min(1).max(10).optional(),
  /** NXDOMAIN or an empty answer keeps the last servers this long, then they leave (HAProxy's `hold nx`) */
  hold_nx: duration().optional(),
  /** a record missing from a good answer stays this long before it leaves (HAProxy's `hold obsolete`) */
  hold_obsolete: duration().optional(),
  /** the address family of a target with both (HAProxy's `resolve-prefer`) */
  prefer: oneOf(['ipv4', 'ipv6'] as const).optional(),
});
export type DnsSourceConfig = z.output<typeof dnsSourceSchema>;

export interface DnsSourceSettings {
  name: string;
  role: string;
  resolvers?: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  holdNxMs: number;
  holdObsoleteMs: number;
  prefer: 'ipv4' | 'ipv6';
}

/** Defaults: HAProxy's resolvers defaults, but a 10 s interval (Kubernetes' and Consul's DNS TTLs are 5-30 s). */
export function dnsSourceSettings(c: DnsSourceConfig): DnsSourceSettings {
  return {
    name: c.name.replace(/\.$/, ''),
    role: c.role,
    resolvers: c.resolvers,
    intervalMs: c.interval ?? 10_000,
    timeoutMs: c.timeout ?? 1000,
    retries: c.retries ?? 3,
    holdNxMs: c.hold_nx ?? 30_000,
    holdObsoleteMs: c.hold_obsolete ?? 0,
    prefer: c.prefer ?? 'ipv6',
  };
}
