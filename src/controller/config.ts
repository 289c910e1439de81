// The controller's and gossip node's sections of lbagent.yml (composed with the others in main-config/main.ts).
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { duration, endpoint, oneOf } from '../config/index.js';
import type { Endpoint } from '../net/index.js';
import { parseJoinAddr } from '../gossip/index.js';

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
  };
}
