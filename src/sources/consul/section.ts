// The `sources.consul` section of lbagent.yml: where Consul is, how to ask it (token, TLS, datacenter, blocking
// wait), and which services give members of which role.
import { z } from 'zod';
import { duration, oneOf } from '../../config/index.js';

const ADDRESS_EXPECTED = 'host:port or http(s)://host:port, e.g. 127.0.0.1:8500 or https://consul.service:8501';

/** Consul's HTTP address as a URL (a bare host:port is http, as CONSUL_HTTP_ADDR). */
const address = z.string().transform((v, ctx) => {
  const withScheme = /^[a-z]+:\/\//i.test(v) ? v : `http://${v}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: `invalid Consul address ${JSON.stringify(v)}`, params: { expected: ADDRESS_EXPECTED } });
    return z.NEVER;
  }
  return url.origin;
});

const name = z.string().min(1).max(256);

/**
 * One mapping: which services (one by `name`, or every service carrying `tag`) and which role their instances
 * get (`role`; else the value of the instance's meta key `role_meta`; else the service name).
 */
const serviceMapping = z
  .strictObject({
    name: name.optional(),
    tag: name.optional(),
    role: name.optional(),
    role_meta: name.optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.name === undefined) === (m.tag === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a service mapping names exactly one of name and tag', params: { expected: '{ name: web } or { tag: lb }' } });
    }
    if (m.role !== undefined && m.role_meta !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'role and role_meta exclude each other', params: { expected: 'role (fixed) or role_meta (from the instance meta)' } });
    }
  });
export type ServiceMapping = z.output<typeof serviceMapping>;

export const consulSchema = z.strictObject({
  /** Consul's HTTP API (an agent near the balancer, as every Consul client does) */
  address: address.optional(),
  /** ACL token, sent as X-Consul-Token (use ${CONSUL_HTTP_TOKEN}) */
  token: z.string().min(1).optional(),
  /** PEM CA bundle to verify an https address (default: the system's) */
  ca_file: z.string().min(1).optional(),
  /** the datacenter to ask about (default: the agent's own) */
  datacenter: name.optional(),
  /** how long a blocking query may wait for a change (Consul caps it at 10m) */
  wait: duration().refine((ms) => ms >= 1000 && ms <= 600_000, { message: 'wait out of range', params: { expected: '1s to 10m' } }).optional(),
  /** pause after a failed query (errors, 403, 500, timeouts) before asking again */
  retry: duration().refine((ms) => ms >= 10, { message: 'retry too short', params: { expected: 'at least 10ms' } }).optional(),
  /** what an instance with a check in `warning` is: up (Consul's DNS and health counts it healthy) or drain */
  warning: oneOf(['up', 'drain'] as const).optional(),
  services: z.array(serviceMapping).min(1),
});
export type ConsulConfig = z.output<typeof consulSchema>;

export const CONSUL_DEFAULTS = {
  address: 'http://127.0.0.1:8500',
  waitMs: 60_000,
  retryMs: 1000,
  warning: 'up' as 'up' | 'drain',
};
