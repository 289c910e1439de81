// The one composed schema of lbagent.yml: each part owns its sections and exports their schema; this file only
// puts them together, so the file is read and validated once, by `lbagent check`, at the balancer's start and at
// each reload, and the data plane and the control plane get their sections from that one value.
import { z } from 'zod';
import { crossCheck, proxySectionsShape, statsPageSchema } from '../proxy/model/index.js';
import { haproxySchema } from '../drivers/haproxy/index.js';
import { controllerSchema, gossipSchema } from '../controller/index.js';
import { rolesFileSchema, unknownBackends } from '../controller/index.js';
import { sourcesSchema } from '../sources/index.js';
import { loadConfigFile, parseConfigText } from '../config/index.js';
import type { ConfigResult, LoadOptions } from '../config/index.js';

export const mainShape = {
  ...proxySectionsShape,
  /** builtin (default) or haproxy */
  proxy: z.enum(['builtin', 'haproxy']).optional(),
  /** the balancer's gossip node */
  gossip: gossipSchema.optional(),
  /** path of roles.yml (relative to this file), or the roles inline */
  roles: z.union([z.string().min(1), rolesFileSchema]).optional(),
  controller: controllerSchema.optional(),
  /** member sources beside gossip (Consul, DNS SRV) */
  sources: sourcesSchema.optional(),
  /** with `proxy: haproxy`: HAProxy's runtime API socket and the backends lbagent manages */
  haproxy: haproxySchema.optional(),
  /** HAProxy's stats page (HTML + CSV) on its own bind */
  stats: statsPageSchema.optional(),
};

export const mainBaseSchema = z.strictObject(mainShape);

/** The cross-section checks (names that refer to each other), so they come back with positions. */
export const mainSchema = mainBaseSchema.superRefine((cfg, ctx) => {
  for (const issue of crossCheck(cfg)) {
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: issue.expected ? { expected: issue.expected } : undefined });
  }
});

/**
 * What `lbagent check` (and the balancer's start and reloads) also refuse: inline roles naming a backend the
 * built-in proxy lacks (with `proxy: haproxy` the backends live in haproxy.cfg), as roles.yml is checked.
 */
export const checkedMainSchema = mainSchema.superRefine((cfg, ctx) => {
  const backends = knownBackends(cfg);
  if (backends && typeof cfg.roles === 'object') for (const issue of unknownBackends(cfg.roles, backends, ['roles'])) ctx.addIssue(issue);
});
export type MainConfig = z.output<typeof mainSchema>;

/** Backends roles may name: the built-in proxy's; undefined with `proxy: haproxy` (they live in haproxy.cfg). */
export function knownBackends(cfg: z.output<typeof mainBaseSchema>): ReadonlySet<string> | undefined {
  return cfg.proxy === 'haproxy' ? undefined : new Set([...Object.keys(cfg.backends ?? {}), ...Object.keys(cfg.listen ?? {})]);
}

/**
 * Each backend's own port (`backends.NAME.port`, or `haproxy.backends.NAME.port` with `proxy: haproxy`): the
 * port of servers that come from roles when neither the role nor the member's `port` tag gives one.
 */
export function backendPorts(cfg: MainConfig): Map<string, number> {
  const out = new Map<string, number>();
  const sections = cfg.proxy === 'haproxy' ? [cfg.haproxy?.backends] : [cfg.backends, cfg.listen];
  for (const section of sections) for (const [name, b] of Object.entries(section ?? {})) if (b.port !== undefined) out.set(name, b.port);
  return out;
}

/** `checked`: with the checks of checkedMainSchema. */
export function loadMainConfig(file: string, opts?: LoadOptions & { checked?: boolean }): ConfigResult<MainConfig> {
  return loadConfigFile(file, opts?.checked ? checkedMainSchema : mainSchema, opts);
}

export function parseMainConfig(file: string, text: string, opts?: LoadOptions): ConfigResult<MainConfig> {
  return parseConfigText(file, text, mainSchema, opts);
}
