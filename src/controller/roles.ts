// roles.yml: which backends each member role serves in (`lb:`) or is only health-checked in (`monitor:`).
// Parsed through the config loader, so every mistake comes back as file:line:col.
import { z } from 'zod';
import { duration, loadConfigFile, parseConfigText } from '../config/index.js';
import type { ConfigResult, LoadOptions } from '../config/index.js';

/** The role of the balancers themselves: never put in a pool. */
export const BALANCER_ROLE = 'lb';

const weight = z.number().int().min(0).max(256);
const port = z.number().int().min(1).max(65535);

const checkOverrides = z.strictObject({
  /** false: no health check for these servers */
  enabled: z.boolean().optional(),
  interval: duration().optional(),
  rise: z.number().int().min(1).optional(),
  fall: z.number().int().min(1).optional(),
  /** check a different port than the traffic port */
  port: port.optional(),
});
export type CheckOverrides = z.output<typeof checkOverrides>;

const overrideKeys = {
  /** traffic port on the member (default: the member's `port` tag, then defaults.port, then 80) */
  port: port.optional(),
  weight: weight.optional(),
  backup: z.boolean().optional(),
  check: checkOverrides.optional(),
  /** HAProxy's `slowstart`: a server of this role that comes UP ramps its weight to full over this time (0 = off) */
  slowstart: duration().optional(),
};

/** A backend named alone, or with overrides for this role in that backend. */
const backendRefObject = z.strictObject({ backend: z.string().min(1), ...overrideKeys });
export type BackendRef = z.output<typeof backendRefObject>;
const backendRef = z.union([z.string().min(1).transform((backend): BackendRef => ({ backend })), backendRefObject]);

const roleSchema = z.strictObject({
  lb: z.array(backendRef).optional(),
  monitor: z.array(backendRef).optional(),
  ...overrideKeys,
});
export type RoleDef = z.output<typeof roleSchema>;

export const rolesFileSchema = z
  .strictObject({
    defaults: z.strictObject(overrideKeys).optional(),
    roles: z.record(z.string().min(1), roleSchema.nullable().transform((r) => r ?? {})),
  })
  .superRefine((v, ctx) => {
    if (v.roles[BALANCER_ROLE]) {
      ctx.addIssue({
        code: 'custom',
        path: ['roles', BALANCER_ROLE],
        message: `role '${BALANCER_ROLE}' is the balancers' own role and is never put in a pool`,
        params: { expected: 'another role name' },
      });
    }
  });
export type RolesConfig = z.output<typeof rolesFileSchema>;

export function loadRoles(file: string, opts?: LoadOptions): ConfigResult<RolesConfig> {
  return loadConfigFile(file, rolesFileSchema, opts);
}

/**
 * roles.yml checked against the backends the proxy has (`lbagent check`): a role naming a backend that does not
 * exist is an error at that entry, as HAProxy refuses a `use_backend` to an unknown backend.
 */
export function loadRolesFor(file: string, backends: ReadonlySet<string>, opts?: LoadOptions): ConfigResult<RolesConfig> {
  return loadConfigFile(file, rolesAgainst(backends), opts);
}

export function rolesAgainst(backends: ReadonlySet<string>) {
  return rolesFileSchema.superRefine((v, ctx) => {
    for (const issue of unknownBackends(v, backends)) ctx.addIssue(issue);
  });
}

/** A role naming a backend the proxy lacks, as issues at each entry (`prefix`: where the roles sit in the file). */
export function unknownBackends(v: RolesConfig, backends: ReadonlySet<string>, prefix: PropertyKey[] = []) {
  const expected = backends.size ? [...backends].sort().join(', ') : 'a backend defined in lbagent.yml';
  const issues: Array<{ code: 'custom'; path: PropertyKey[]; message: string; params: { expected: string } }> = [];
  for (const [role, def] of Object.entries(v.roles)) {
    for (const kind of ['lb', 'monitor'] as const) {
      (def[kind] ?? []).forEach((ref, i) => {
        if (!backends.has(ref.backend)) issues.push({ code: 'custom', path: [...prefix, 'roles', role, kind, i], message: `unknown backend '${ref.backend}'`, params: { expected } });
      });
    }
  }
  return issues;
}

export function parseRoles(file: string, text: string, opts?: LoadOptions): ConfigResult<RolesConfig> {
  return parseConfigText(file, text, rolesFileSchema, opts);
}

/** Every backend roles.yml names, in lb or monitor lists. */
export function referencedBackends(roles: RolesConfig): Set<string> {
  const out = new Set<string>();
  for (const r of Object.values(roles.roles)) for (const ref of [...(r.lb ?? []), ...(r.monitor ?? [])]) out.add(ref.backend);
  return out;
}
