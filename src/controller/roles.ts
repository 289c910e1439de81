// roles.yml: which backends each member role serves in (`lb:`) or is only health-checked in (`monitor:`).
// Parsed through the config loader, so every mistake comes back as file:line:col. Two layouts are one schema:
// lbagent's (`roles:` + `defaults:`) and the serf handler's role.yml (roles at the top level, `none`, `interval:`).
import { z } from 'zod';
import { duration, loadConfigFile, parseConfigText, parseDuration } from '../config/index.js';
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

/** Above this, a bare `interval:` number is more likely milliseconds written HAProxy's way: refused, not guessed. */
const BARE_INTERVAL_MAX_S = 3600;
const INTERVAL_EXPECTED = 'a duration such as 5s or 500ms; a bare number is seconds, as in the serf handler\'s role.yml';

/**
 * The role.yml `interval:` (the check interval of the role's servers). A bare number is seconds there (the
 * article's `interval: 10`; a check every 10 ms is never what it meant), units as everywhere else.
 */
const interval = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const bare = typeof v === 'number' || /^\s*\d+(\.\d+)?\s*$/.test(v);
    if (bare && Number(v) > BARE_INTERVAL_MAX_S) {
      ctx.addIssue({ code: 'custom', message: `a bare interval is seconds: ${v} would be ${v} s`, params: { expected: `a unit (${v}ms or ${v}s), or ${BARE_INTERVAL_MAX_S} seconds at most` } });
      return z.NEVER;
    }
    const ms = parseDuration(bare ? `${v}s` : v);
    if (typeof ms !== 'number' || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: typeof ms === 'number' ? 'the interval must be above 0' : ms.error, params: { expected: INTERVAL_EXPECTED } });
      return z.NEVER;
    }
    return ms;
  })
  .describe(INTERVAL_EXPECTED);

const overrideKeys = {
  /** traffic port on the member (default: the member's `port` tag, the backend's `port`, defaults.port, 80) */
  port: port.optional(),
  weight: weight.optional(),
  backup: z.boolean().optional(),
  check: checkOverrides.optional(),
  /** HAProxy's `slowstart`: a server of this role that comes UP ramps its weight to full over this time (0 = off) */
  slowstart: duration().optional(),
  /** check interval of these servers (role.yml's key; the same as check.interval) */
  interval: interval.optional(),
};

/** `interval:` is check.interval written the serf handler's way; both at once is a contradiction. */
function foldInterval<T extends { interval?: number; check?: CheckOverrides }>(v: T, ctx: z.RefinementCtx): T {
  if (v.interval === undefined) return v;
  if (v.check?.interval !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval and check.interval are both set', params: { expected: 'one of them' } });
    return v;
  }
  return { ...v, check: { ...v.check, interval: v.interval } };
}

/** `lb: none` / `monitor: none` (the serf handler's word): no backend. Not a backend name in roles. */
export const NO_BACKEND = 'none';

/** The issue for a role naming a backend the proxy lacks. */
function unknownBackendIssue(name: string, backends: ReadonlySet<string>, path: PropertyKey[] = []) {
  const expected = backends.size ? [...backends].sort().join(', ') : 'a backend defined in lbagent.yml';
  return { code: 'custom' as const, path, message: `unknown backend '${name}'`, params: { expected } };
}

export interface BackendRef extends Overrides {
  backend: string;
}
type Overrides = z.output<z.ZodObject<typeof overrideKeys>>;
export interface RoleDef extends Overrides {
  lb?: BackendRef[];
  monitor?: BackendRef[];
}
export interface RolesConfig {
  defaults?: Overrides;
  roles: Record<string, RoleDef>;
}

/**
 * Where each entry was written, for errors found after parsing (inline roles, checked once the whole lbagent.yml
 * is read): its index in the list, none for a backend named alone; where each role sits (`roles.NAME` or `NAME`).
 */
const refIndex = new WeakMap<BackendRef, number>();
const rolePaths = new WeakMap<RolesConfig, Map<string, PropertyKey[]>>();

const BACKENDS_EXPECTED = `a backend name, a list of them, or ${NO_BACKEND}`;

/**
 * The one schema of roles, in both layouts: `roles: { NAME: … }` (with `defaults:`), or each role at the top level
 * as in the serf handler's role.yml (`iis: { lb: [web_pool], monitor: none, interval: 5s }`); any other top-level
 * key is a role. With `backends`, a role naming another backend is an error at that entry (`lbagent check`, the
 * balancer's start and reloads, the roles.yml watcher).
 */
export function rolesSchema(backends?: ReadonlySet<string>) {
  const name = z.string().min(1).superRefine((v, ctx) => {
    if (backends && v !== NO_BACKEND && !backends.has(v)) ctx.addIssue(unknownBackendIssue(v, backends));
  });
  /** A backend named alone, or with overrides for this role in that backend. */
  const backendRef = z.union([
    name.transform((backend): BackendRef => ({ backend })),
    z.strictObject({ backend: name, ...overrideKeys }).transform(foldInterval),
  ]);
  /** A list, one backend alone, or `none`; `none` entries and a null value mean no backend. */
  const backendList = z
    .union([z.array(backendRef), backendRef, z.null()])
    .transform((v) => {
      if (v === null) return [];
      if (!Array.isArray(v)) return v.backend === NO_BACKEND ? [] : [v];
      v.forEach((ref, i) => refIndex.set(ref, i));
      return v.filter((ref) => ref.backend !== NO_BACKEND);
    })
    .describe(BACKENDS_EXPECTED);
  const roleValue = z
    .strictObject({ lb: backendList.optional(), monitor: backendList.optional(), ...overrideKeys })
    .transform(foldInterval)
    .nullable()
    .transform((r): RoleDef => r ?? {});

  return z
    .strictObject({
      defaults: z.strictObject(overrideKeys).transform(foldInterval).optional(),
      roles: z.record(z.string().min(1), roleValue).optional(),
    })
    .catchall(roleValue)
    .transform((v, ctx): RolesConfig => {
      const { defaults, roles: wrapped, ...top } = v as Partial<RolesConfig> & Record<string, RoleDef>;
      const roles: Record<string, RoleDef> = { ...wrapped };
      const paths = new Map<string, PropertyKey[]>(Object.keys(roles).map((n) => [n, ['roles', n]]));
      for (const [n, def] of Object.entries(top)) {
        if (wrapped?.[n]) ctx.addIssue({ code: 'custom', path: [n], message: `role '${n}' is defined twice (also under roles:)`, params: { expected: 'each role once' } });
        roles[n] = def;
        paths.set(n, [n]);
      }
      if (roles[BALANCER_ROLE]) {
        const path = wrapped?.[BALANCER_ROLE] ? ['roles', BALANCER_ROLE] : [BALANCER_ROLE];
        ctx.addIssue({ code: 'custom', path, message: `role '${BALANCER_ROLE}' is the balancers' own role and is never put in a pool`, params: { expected: 'another role name' } });
      }
      // An empty (or half-written) file would empty every pool: refused, as a file with no listener is (an
      // explicit `roles: {}` is a choice, and stays allowed).
      if (!wrapped && !Object.keys(top).length) ctx.addIssue({ code: 'custom', path: [], message: 'no roles defined', params: { expected: 'roles, e.g. web: { lb: [web] }' } });
      const out: RolesConfig = defaults ? { defaults, roles } : { roles };
      rolePaths.set(out, paths);
      return out;
    });
}

export const rolesFileSchema = rolesSchema();

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
  return rolesSchema(backends);
}

/** Inline roles naming a backend the proxy lacks, as issues at each entry (`prefix`: where the roles sit). */
export function unknownBackends(v: RolesConfig, backends: ReadonlySet<string>, prefix: PropertyKey[] = []) {
  const issues: ReturnType<typeof unknownBackendIssue>[] = [];
  const paths = rolePaths.get(v);
  for (const [role, def] of Object.entries(v.roles)) {
    const at = paths?.get(role) ?? ['roles', role];
    for (const kind of ['lb', 'monitor'] as const) {
      for (const ref of def[kind] ?? []) {
        if (backends.has(ref.backend)) continue;
        const i = refIndex.get(ref);
        issues.push(unknownBackendIssue(ref.backend, backends, [...prefix, ...at, kind, ...(i === undefined ? [] : [i])]));
      }
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
