// serf's agent config file (YAML, or serf's JSON: JSON is YAML), validated with positions. Loaded on demand.
import { z } from 'zod';
import { duration, loadConfigFile, oneOf, type ConfigError } from '../config/index.js';
import { DEFAULT_GOSSIP_PORT } from '../gossip/index.js';
import { hostPortProblem, parseHostPort } from '../net/index.js';

const hostPort = (defaultPort: number, defaultHost?: string) =>
  z.string().transform((v, ctx) => {
    const hp = parseHostPort(v, defaultPort, defaultHost);
    if (!hp) {
      ctx.addIssue({ code: 'custom', message: hostPortProblem(v), params: { expected: `host[:port], e.g. 10.0.0.5:${defaultPort}` } });
      return z.NEVER;
    }
    return hp;
  });

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** serf's agent config keys (the ones lbagent acts on); others are accepted and reported as ignored. */
export const agentFileSchema = z.object({
  node_name: z.string().min(1).optional(),
  role: z.string().optional(),
  tags: z.record(z.string(), z.coerce.string()).optional(),
  bind: hostPort(DEFAULT_GOSSIP_PORT).optional(),
  advertise: hostPort(DEFAULT_GOSSIP_PORT).optional(),
  rpc_addr: hostPort(7373, '127.0.0.1').optional(),
  rpc_auth: z.string().optional(),
  encrypt_key: z.string().optional(),
  start_join: stringList.optional(),
  retry_join: stringList.optional(),
  retry_max_attempts: z.number().int().min(0).optional(),
  retry_interval: duration().optional(),
  replay_on_join: z.boolean().optional(),
  event_handlers: stringList.optional(),
  log_level: oneOf(['trace', 'debug', 'info', 'warn', 'err', 'error', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERR', 'ERROR'] as const).optional(),
  profile: oneOf(['lan', 'wan', 'local'] as const).optional(),
  coalesce: z.boolean().optional(),
  leave_on_terminate: z.boolean().optional(),
  skip_leave_on_interrupt: z.boolean().optional(),
  snapshot_path: z.string().optional(),
  rejoin_after_leave: z.boolean().optional(),
});
export type AgentFile = z.output<typeof agentFileSchema>;


/** Read one agent config file; keys lbagent does not act on are returned as `ignored` (serf has many). */
export function readAgentFile(file: string): { ok: true; value: AgentFile; ignored: string[] } | { ok: false; errors: ConfigError[] } {
  const r = loadConfigFile(file, agentFileSchema.loose());
  if (!r.ok) return r;
  const known = new Set(Object.keys(agentFileSchema.shape));
  return { ok: true, value: r.value as AgentFile, ignored: Object.keys(r.value).filter((k) => !known.has(k)) };
}
