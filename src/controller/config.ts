// The controller's and gossip node's sections of lbagent.yml (composed with the others in main-config/main.ts).
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { duration, endpoint, isLoopback, oneOf } from '../config/index.js';
import { endpointProblem, parseEndpoint, type Endpoint } from '../net/index.js';
import { parseJoinAddr } from '../gossip/index.js';
import { DEFAULT_RPC_ADDR, parseHandlerSpec } from '../agent/index.js';

const KEY_EXPECTED = 'a base64 key of 16, 24 or 32 bytes (lbagent keygen)';
const encryptKey = z.string().refine((k) => [16, 24, 32].includes(Buffer.from(k, 'base64').length) && /^[A-Za-z0-9+/]+=*$/.test(k), {
  message: 'invalid encryption key',
  params: { expected: KEY_EXPECTED },
});

// A join address that can never work (a port out of range, not a number) is refused with the config.
const JOIN_EXPECTED = 'host[:port], e.g. 10.0.0.11 or web-1:7946';
const joinAddr = z.string().superRefine((v, ctx) => {
  const j = parseJoinAddr(v);
  if ('error' in j) ctx.addIssue({ code: 'custom', message: `join address ${j.error}`, params: { expected: JOIN_EXPECTED } });
});

const handlerSpec = z.string().superRefine((v, ctx) => {
  const h = parseHandlerSpec(v);
  if ('error' in h) ctx.addIssue({ code: 'custom', message: h.error, params: { expected: '[FILTER=]SCRIPT, e.g. member-join,user:deploy=/etc/serf/handler.sh' } });
});

/** host:port (host defaults to 127.0.0.1), or false for no RPC; a number (7373) is named as the wrong type. */
const rpcAddr = z.unknown().transform((v, ctx): Endpoint | false => {
  const ep = typeof v === 'string' ? parseEndpoint(v, '127.0.0.1') : undefined;
  if (v === false || ep) return ep ?? false;
  const message = typeof v === 'string' ? endpointProblem(v) : `expected an address string or false, got ${typeof v} ${JSON.stringify(v)}`;
  ctx.addIssue({ code: 'custom', message, params: { expected: 'host:port, e.g. 127.0.0.1:7373, or false for no RPC' } });
  return z.NEVER;
});

export const gossipSchema = z.strictObject({
  /** node name (default: the host name) */
  node: z.string().min(1).optional(),
  bind: endpoint('0.0.0.0').optional(),
  advertise: endpoint('0.0.0.0').optional(),
  /** members to join at start (serf -join), with replay of old user events */
  join: z.array(joinAddr).describe("a list of host[:port], e.g. [10.0.0.11, web-1:7946]").optional(),
  encrypt: z.union([encryptKey, z.array(encryptKey).min(1)]).describe(`${KEY_EXPECTED}, or a list of them`).optional(),
  profile: oneOf(['lan', 'wan', 'local'] as const).optional(),
  /** extra tags for the balancer's node; role is always lb */
  tags: z.record(z.string(), z.string()).optional(),
  /**
   * serf's snapshot file (members and Lamport clocks, rejoined at restart); default: NODE-PORT.snapshot in the
   * state directory; false or "" = none
   */
  snapshot: z.union([z.string(), z.literal(false)]).optional(),
  /** serf's event_handlers: `[FILTER=]SCRIPT`, run as `lbagent agent` runs them (a string or a list) */
  event_handlers: z.union([handlerSpec, z.array(handlerSpec)]).optional(),
  /** serf's RPC (msgpack) and lbagent's HTTP RPC on one address; default 127.0.0.1:7373 as serf's; false: none */
  rpc_addr: rpcAddr.optional(),
  /** serf's rpc_auth: the key RPC clients must give (-rpc-auth, --rpc-auth) */
  rpc_auth: z.string().min(1).optional(),
}).superRefine((g, ctx) => {
  // The RPC can make the balancer leave and stop: off loopback only with a key.
  if (g.rpc_addr && !isLoopback(g.rpc_addr.host) && !g.rpc_auth) {
    ctx.addIssue({ code: 'custom', path: ['rpc_addr'], message: `RPC address ${g.rpc_addr.host} is not loopback and gossip.rpc_auth is not set: anyone who reaches it could stop the balancer`, params: { expected: 'a loopback address, or gossip.rpc_auth' } });
  }
});
export type GossipConfig = z.output<typeof gossipSchema>;

export const controllerSchema = z.strictObject({
  pause_state: oneOf(['drain', 'maint'] as const).optional(),
  failed_grace: duration().optional(),
  leave_grace: duration().optional(),
  resync: duration().optional(),
  /** fail static above this share (%) of a pool's members failed in gossip; false: never */
  fail_static: z.union([z.number().min(0).max(100), z.literal(false)]).optional(),
});
export type ControllerConfig = z.output<typeof controllerSchema>;

/** roles.yml path as written in `roles:`, relative to the main config file. */
export function rolesPath(configFile: string, roles: string): string {
  return isAbsolute(roles) ? roles : resolve(dirname(configFile), roles);
}

export interface GossipSettings {
  node: string;
  bind: Endpoint;
  advertise?: Endpoint;
  join: string[];
  encryptKeys?: string[];
  profile: 'lan' | 'wan' | 'local';
  tags: Record<string, string>;
  /** a path, false for none, undefined for the default (decided by who starts the balancer: state-dir.ts) */
  snapshot?: string | false;
  eventHandlers: string[];
  /** undefined: no RPC */
  rpcAddr?: Endpoint;
  /** true when rpc_addr was not given (the default address may be held by an agent on the same host) */
  rpcDefault: boolean;
  rpcAuth?: string;
}

export function gossipSettings(g: GossipConfig): GossipSettings {
  return {
    node: g.node ?? hostname(),
    bind: g.bind ?? { host: '0.0.0.0', port: 7946 },
    advertise: g.advertise,
    join: g.join ?? [],
    encryptKeys: g.encrypt === undefined ? undefined : Array.isArray(g.encrypt) ? g.encrypt : [g.encrypt],
    profile: g.profile ?? 'lan',
    tags: { ...g.tags, role: 'lb' },
    snapshot: g.snapshot === '' ? false : g.snapshot,
    eventHandlers: g.event_handlers === undefined ? [] : Array.isArray(g.event_handlers) ? g.event_handlers : [g.event_handlers],
    rpcAddr: g.rpc_addr === false ? undefined : (g.rpc_addr ?? { host: DEFAULT_RPC_ADDR.split(':')[0]!, port: Number(DEFAULT_RPC_ADDR.split(':')[1]) }),
    rpcDefault: g.rpc_addr === undefined,
    rpcAuth: g.rpc_auth,
  };
}
