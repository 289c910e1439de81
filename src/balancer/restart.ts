// Settings a reload cannot change in place. Everything else in lbagent.yml is applied by a reload (proxy
// sections, admin, stats, controller, gossip.tags, gossip.event_handlers, roles); these stay at their start-time
// value until a restart, and a reload that changes one says so instead of pretending it was applied.
import { isDeepStrictEqual } from 'node:util';
import type { BalancerFiles } from './validate.js';

/** Changing the data plane itself: the whole reload is refused, not just this key. */
export const DATA_PLANE_KEY = 'proxy';

/** Why each setting is fixed while running. */
const WHY: Record<string, string> = {
  proxy: 'the data plane (built-in proxy or HAProxy) is chosen at start',
  'global.workers': 'worker processes are forked at start',
  'global.log_level': 'loggers are created at start',
  'global.shutdown_delay': 'the stop sequence is set up at start',
  'gossip.node': 'the gossip node is created at start',
  'gossip.bind': 'the gossip node is created at start',
  'gossip.advertise': 'the gossip node is created at start',
  'gossip.encrypt': 'the keyring is loaded at start (rotate keys at run time with lbagent keys)',
  'gossip.profile': 'gossip timers are set at start',
  'gossip.join': 'the join happens at start',
  'gossip.snapshot': 'the snapshot is read at start',
  'gossip.rpc_addr': 'the RPC address is bound at start',
  'gossip.rpc_auth': 'the RPC is set up at start',
  haproxy: 'the HAProxy driver is set up at start',
  roles: 'gossip and the controller start with the balancer only when roles are configured',
  sources: 'member sources (DNS, Consul) are started with the balancer',
};

export function restartReason(key: string): string {
  return WHY[key] ?? WHY[key.split('.')[0]!] ?? 'it is read at start';
}

/**
 * Dotted names of the settings whose value in `next` differs from the one in force since `started`.
 * `logLevelFromEnv`: LBAGENT_LOG_LEVEL overrides global.log_level, so the file's value is never in force.
 */
export function restartNeeded(started: BalancerFiles, next: BalancerFiles, { logLevelFromEnv = false } = {}): string[] {
  const out: string[] = [];
  const differ = (key: string, a: unknown, b: unknown) => {
    if (!isDeepStrictEqual(a ?? undefined, b ?? undefined)) out.push(key);
  };
  /** each key of a section on its own (`haproxy.socket`, `sources.dns`) */
  const differEach = (section: string, a: object = {}, b: object = {}) => {
    const [ra, rb] = [a as Record<string, unknown>, b as Record<string, unknown>];
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) differ(`${section}.${k}`, ra[k], rb[k]);
  };
  differ('proxy', started.config.proxy ?? 'builtin', next.config.proxy ?? 'builtin');
  differ('global.workers', started.config.global?.workers ?? 1, next.config.global?.workers ?? 1);
  differ('global.shutdown_delay', started.config.global?.shutdown_delay, next.config.global?.shutdown_delay);
  if (!logLevelFromEnv) differ('global.log_level', started.config.global?.log_level, next.config.global?.log_level);
  if (started.config.proxy === 'haproxy') {
    differEach('haproxy', started.config.haproxy, next.config.haproxy);
  }
  if ((started.roles === undefined) !== (next.roles === undefined)) out.push('roles');
  // Gossip runs only with roles; gossip.tags (serf setTags) and gossip.event_handlers are applied in place.
  if (started.roles !== undefined) {
    const [a, b] = [started.config.gossip ?? {}, next.config.gossip ?? {}];
    for (const k of ['node', 'bind', 'advertise', 'encrypt', 'profile', 'join', 'snapshot', 'rpc_addr', 'rpc_auth'] as const) differ(`gossip.${k}`, a[k], b[k]);
    differEach('sources', started.config.sources, next.config.sources);
  }
  return out;
}
