// The proxy sections of lbagent.yml (global, defaults, frontends, backends, listen, admin), in HAProxy's words.
// Exported as a zod object shape so the top-level schema (src/main-config/main.ts) can extend it with other sections.
import { isIP } from 'node:net';
import { z } from 'zod';
import { accessSync, constants as fsConstants } from 'node:fs';
import { duration, endpoint, oneOf } from '../../config/index.js';
import { endpointProblem, ENDPOINT_EXPECTED, parseEndpoint } from '../../net/index.js';
import type { Endpoint } from '../../net/index.js';
import { parseBalance } from '../balance/index.js';
import { checkKindOf, checkSchema } from '../check/config.js';
import { checkKindError } from '../check/index.js';
import { cookieSchema } from '../http/cookie.js';
import { aclNamesIn, backendHttpRulesShape, httpRulesShape, type HttpRulesConfig } from '../http/rules-config.js';
import { errorMessage, RuleError } from '../../errors/index.js';
import { compileValue } from '../http/rules.js';
import { bindSslSchema, loadCertStore, serverSslSchema } from './tls.js';
import { captureKeys, globalLogKeys, logKeys } from './log-config.js';

const strict = z.strictObject;

export const timeoutsSchema = strict({
  connect: duration().optional(),
  client: duration().optional(),
  server: duration().optional(),
  'http-request': duration().optional(),
  'http-keep-alive': duration().optional(),
  queue: duration().optional(),
  check: duration().optional(),
  /** idle time of a WebSocket tunnel after the 101 (HAProxy's `timeout tunnel`) */
  tunnel: duration().optional(),
});
export type Timeouts = z.output<typeof timeoutsSchema>;

const CIDR_EXPECTED = 'an address or CIDR such as 10.0.0.0/8 or ::1/128';
/** An address or CIDR, kept as text (matched with net.BlockList at run time). */
const cidr = () =>
  z.string().transform((v, ctx) => {
    const [addr, bits, extra] = v.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      ctx.addIssue({ code: 'custom', message: `invalid network '${v}'`, params: { expected: CIDR_EXPECTED } });
      return z.NEVER;
    }
    return v;
  });

/** `option forwardfor` (true) or `option forwardfor except CIDR` ({ except }). */
const forwardfor = z.union([z.boolean(), strict({ except: z.union([cidr(), z.array(cidr())]).optional() })]);

/** One `addr:port` or a list; a union of endpoint() would hide the address error behind "Invalid input". */
const bindList = z.union([z.string(), z.array(z.string()).min(1)]).transform((v, ctx): Endpoint[] => {
  const list = Array.isArray(v) ? v : [v];
  const out: Endpoint[] = [];
  list.forEach((text, i) => {
    const ep = parseEndpoint(text, '0.0.0.0');
    if (ep) out.push(ep);
    else ctx.addIssue({ code: 'custom', path: Array.isArray(v) ? [i] : [], message: endpointProblem(text), params: { expected: ENDPOINT_EXPECTED } });
  });
  return out;
}).describe(`${ENDPOINT_EXPECTED}, or a list of them`);

const mode = oneOf(['http', 'tcp'] as const);

/** HAProxy's `option httpclose` (close both sides after each response) and `option http-server-close` (the server side only); `false` is `no option …` */
const connectionModes = { httpclose: z.boolean().optional(), 'http-server-close': z.boolean().optional() };

const frontendKeys = {
  bind: bindList,
  mode: mode.optional(),
  default_backend: z.string().optional(),
  maxconn: z.number().int().min(1).optional(),
  timeout: timeoutsSchema.optional(),
  forwardfor: forwardfor.optional(),
  /** HTTP routing and header rules: acl, use_backend, http-request, http-response */
  ...httpRulesShape,
  /** TLS termination on every bind of this frontend (HAProxy's `bind … ssl crt …`) */
  ssl: bindSslSchema.optional(),
  ...connectionModes,
  /** the access log: targets, format, options, request ids, captured headers */
  ...logKeys,
  ...captureKeys,
};

const weight = z.number().int().min(0).max(256);

const serverSchema = strict({
  name: z.string().min(1),
  addr: endpoint('127.0.0.1'),
  weight: weight.optional(),
  backup: z.boolean().optional(),
  maxconn: z.number().int().min(0).optional(),
  check: z.boolean().optional(),
  /** checked and shown in stats, never given traffic */
  monitor: z.boolean().optional(),
  inter: duration().optional(),
  rise: z.number().int().min(1).optional(),
  fall: z.number().int().min(1).optional(),
  /** check a different port than the traffic port */
  port: z.number().int().min(1).max(65535).optional(),
  /** HAProxy's `slowstart`: after coming UP, weight and maxconn grow from ~5 % to full over this time (0 = off) */
  slowstart: duration().optional(),
});
export type ServerConfig = z.output<typeof serverSchema>;

const sorrySchema = z.union([
  strict({ redirect: z.string().min(1) }),
  strict({ response: strict({ status: z.number().int().min(200).max(599).optional(), body: z.string().optional() }) }),
  strict({ backend: z.string().min(1) }),
]);
export type SorryConfig = z.output<typeof sorrySchema>;

const backendKeys = {
  mode: mode.optional(),
  balance: z.string().optional(),
  servers: z.array(serverSchema).optional(),
  /** the service's port: servers that come from roles use it (and their checks) when neither role nor member says */
  port: z.number().int().min(1).max(65535).optional(),
  check: checkSchema.optional(),
  retries: z.number().int().min(0).max(100).optional(),
  redispatch: z.boolean().optional(),
  sorry: sorrySchema.optional(),
  /** how long removed servers may finish their sessions */
  grace: duration().optional(),
  /** `slowstart` of every server that sets none, those from roles.yml included (HAProxy's `default-server slowstart`) */
  slowstart: duration().optional(),
  /** TLS to every server of this backend (HAProxy's `default-server ssl verify … ca-file … sni …`) */
  server_ssl: serverSslSchema.optional(),
  /** cookie persistence (HAProxy's `cookie NAME insert indirect nocache`) */
  cookie: cookieSchema.optional(),
  timeout: timeoutsSchema.optional(),
  /** HAProxy's backend `acl`, `http-request` and `http-response`: run for the requests this backend takes */
  ...backendHttpRulesShape,
  ...connectionModes,
};

export const frontendSchema = strict(frontendKeys);
export const backendSchema = strict(backendKeys);
export const listenSchema = strict({ ...frontendKeys, ...backendKeys });

export const globalSchema = strict({
  maxconn: z.number().int().min(1).optional(),
  /** proxy worker processes sharing the listeners (HAProxy's nbthread): a number, or `auto` for one per core */
  workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).optional(),
  log_level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const).optional(),
  /** SIGTERM: how long /v1/health says 503 while everything still serves, before the stop (keepalived's fall × interval) */
  shutdown_delay: duration().optional(),
  /** HAProxy's spread-checks: each check interval moves by up to this many percent either way (0 to 50) */
  spread_checks: z.number().int().min(0).max(50).optional(),
  /** HAProxy's global `log` lines: where access-log lines go (syslog over UDP, stdout, stderr) */
  ...globalLogKeys,
});

export const defaultsSchema = strict({
  mode: mode.optional(),
  balance: z.string().optional(),
  maxconn: z.number().int().min(1).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  redispatch: z.boolean().optional(),
  grace: duration().optional(),
  slowstart: duration().optional(),
  forwardfor: forwardfor.optional(),
  timeout: timeoutsSchema.optional(),
  ...connectionModes,
  ...logKeys,
});

export const adminSchema = strict({
  // "*:9901" is every address, as for a frontend (a missing bind is 127.0.0.1:9901, DEFAULT_ADMIN_BIND)
  bind: endpoint('0.0.0.0').optional(),
  token: z.string().min(1).optional(),
});

/** What /metrics exposes beyond the counters: latency histograms per backend, and per server on request. */
export const metricsSchema = strict({
  /** request, queue, connect and response time histograms per backend (default true; off saves a little CPU per request) */
  histograms: z.boolean().optional(),
  /** the same histograms per server too (default false: one set of series per server, so mind the pool sizes) */
  server_histograms: z.boolean().optional(),
});

/** The proxy's top-level keys, for the main schema to compose. */
export const proxySectionsShape = {
  global: globalSchema.optional(),
  defaults: defaultsSchema.optional(),
  frontends: z.record(z.string(), frontendSchema).optional(),
  backends: z.record(z.string(), backendSchema).optional(),
  listen: z.record(z.string(), listenSchema).optional(),
  admin: adminSchema.optional(),
  metrics: metricsSchema.optional(),
};

export const proxySectionsSchema = strict(proxySectionsShape);
export type ProxySections = z.output<typeof proxySectionsSchema>;

type Issue = { path: (string | number)[]; message: string; expected?: string };

type FrontendLike = NonNullable<ProxySections['frontends']>[string] | NonNullable<ProxySections['listen']>[string];
type BackendLike = z.output<typeof backendSchema>;
/** A proxy's place in the config: `[section, name]`, the start of each issue's path. */
type At = [string, string];
/** What every check of a reference needs: the proxies that can serve as backends, and where issues go. */
interface Scope {
  issues: Issue[];
  backendNames: Set<string>;
  /** the backend names, for `expected` */
  known: string;
}

/** Cross-references a schema cannot express: names exist and are unique. Paths point at the offending key. */
export function crossCheck(cfg: ProxySections): Issue[] {
  const backendNames = new Set([...Object.keys(cfg.backends ?? {}), ...Object.keys(cfg.listen ?? {})]);
  const scope: Scope = { issues: [], backendNames, known: [...backendNames].join(', ') || 'none defined' };
  checkListenNames(cfg, scope.issues);
  eachProxy([['frontends', cfg.frontends], ['listen', cfg.listen]], FRONTEND_CHECKS, scope);
  for (const [name, fe] of Object.entries(cfg.frontends ?? {})) checkDefaultBackend(fe, name, scope);
  eachProxy<BackendLike>([['backends', cfg.backends], ['listen', cfg.listen]], BACKEND_CHECKS, scope);
  checkBinds(cfg, scope.issues);
  return scope.issues;
}

type Check<T> = (proxy: T, at: At, scope: Scope) => void;

/** Each proxy of the sections, through each check in turn (so its issues stay together, in this order). */
function eachProxy<T>(sections: [string, Record<string, T> | undefined][], checks: Check<T>[], scope: Scope): void {
  for (const [section, map] of sections) {
    for (const [name, proxy] of Object.entries(map ?? {})) for (const check of checks) check(proxy, [section, name], scope);
  }
}

/** A listen is a frontend and a backend at once: its name must be free in both. */
function checkListenNames(cfg: ProxySections, issues: Issue[]): void {
  const frontendNames = new Set(Object.keys(cfg.frontends ?? {}));
  for (const name of Object.keys(cfg.listen ?? {})) {
    if (cfg.backends?.[name]) issues.push({ path: ['listen', name], message: `listen '${name}' has the same name as backend '${name}'`, expected: 'unique proxy names' });
    if (frontendNames.has(name)) issues.push({ path: ['listen', name], message: `listen '${name}' has the same name as frontend '${name}'`, expected: 'unique proxy names' });
  }
}

function checkUseBackends(fe: FrontendLike, at: At, { issues, backendNames, known }: Scope): void {
  (fe.use_backend ?? []).forEach((u, i) => {
    if (!backendNames.has(u.backend)) issues.push({ path: [...at, 'use_backend', i, 'backend'], message: `unable to find backend '${u.backend}'`, expected: `one of: ${known}` });
  });
}

/** Every ACL a rule's `if`/`unless` names is defined in the same proxy. */
function checkAclNames(fe: HttpRulesConfig, at: At, { issues }: Scope): void {
  const acls = new Set(Object.keys(fe.acl ?? {}));
  const guarded: [string, { if?: unknown; unless?: unknown }[]][] = [['use_backend', fe.use_backend ?? []], ['http-request', fe['http-request'] ?? []], ['http-response', fe['http-response'] ?? []]];
  for (const [key, rules] of guarded) {
    rules.forEach((rule, i) => {
      for (const which of ['if', 'unless'] as const) {
        for (const acl of aclNamesIn(rule[which] as never)) {
          if (!acls.has(acl)) issues.push({ path: [...at, key, i, which], message: `unknown ACL '${acl}'`, expected: acls.size ? `one of: ${[...acls].join(', ')}` : 'an ACL defined under acl:' });
        }
      }
    });
  }
}

function checkCertificate(fe: FrontendLike, at: At, { issues }: Scope): void {
  if (!fe.ssl) return;
  try {
    loadCertStore(fe.ssl);
  } catch (err) {
    issues.push({ path: [...at, 'ssl', 'crt'], message: `cannot load certificate: ${errorMessage(err)}`, expected: 'a PEM file with certificate and key, or a directory of them' });
  }
}

/** Values with HAProxy variables (%[src] …) must name fetches we have. */
function checkRuleValues(fe: HttpRulesConfig, at: At, { issues }: Scope): void {
  for (const key of ['http-request', 'http-response'] as const) {
    (fe[key] ?? []).forEach((rule, i) => {
      const action = Object.keys(rule).find((k) => k !== 'if' && k !== 'unless')!;
      const arg = (rule as Record<string, { value?: unknown; location?: string; replace?: string }>)[action]!;
      for (const field of ['value', 'location', 'replace'] as const) {
        const text = arg[field];
        if (typeof text !== 'string') continue; // del-header's value is a match, not a value
        try {
          compileValue(text);
        } catch (err) {
          if (err instanceof RuleError) issues.push({ path: [...at, key, i, action, field], message: err.message });
        }
      }
    });
  }
}

function checkDefaultBackend(fe: NonNullable<ProxySections['frontends']>[string], name: string, { issues, backendNames, known }: Scope): void {
  if (!fe.default_backend) issues.push({ path: ['frontends', name], message: `frontend '${name}' has no default_backend`, expected: 'default_backend: NAME' });
  else if (!backendNames.has(fe.default_backend)) {
    issues.push({ path: ['frontends', name, 'default_backend'], message: `unable to find required default_backend '${fe.default_backend}'`, expected: `one of: ${known}` });
  }
}

function checkSorry(be: BackendLike, at: At, { issues, backendNames, known }: Scope): void {
  const sorry = be.sorry;
  if (!sorry || !('backend' in sorry)) return;
  if (!backendNames.has(sorry.backend)) issues.push({ path: [...at, 'sorry', 'backend'], message: `unable to find sorry backend '${sorry.backend}'`, expected: `one of: ${known}` });
  else if (sorry.backend === at[1]) issues.push({ path: [...at, 'sorry', 'backend'], message: `backend '${at[1]}' cannot be its own sorry backend` });
}

function checkCaFile(be: BackendLike, at: At, { issues }: Scope): void {
  const caFile = be.server_ssl?.ca_file;
  if (!caFile) return;
  try {
    accessSync(caFile, fsConstants.R_OK);
  } catch {
    issues.push({ path: [...at, 'server_ssl', 'ca_file'], message: `cannot read CA file '${caFile}'`, expected: 'a readable PEM file of CA certificates' });
  }
}

function checkServerNames(be: BackendLike, at: At, { issues }: Scope): void {
  const seen = new Map<string, number>();
  (be.servers ?? []).forEach((s, i) => {
    if (seen.has(s.name)) issues.push({ path: [...at, 'servers', i, 'name'], message: `server '${s.name}' already defined in backend '${at[1]}' (servers[${seen.get(s.name)}])`, expected: 'unique server names' });
    else seen.set(s.name, i);
  });
}

function checkHealthCheck(be: BackendLike, at: At, { issues }: Scope): void {
  if (be.check?.type === 'tcp-expect' && be.check.expect === undefined) {
    issues.push({ path: [...at, 'check'], message: 'a tcp-expect check needs a pattern', expected: "expect: REGEX, e.g. '^SSH-'" });
  }
  const checkError = be.check ? checkKindError(checkKindOf(be.check)) : undefined;
  if (checkError) issues.push({ path: [...at, 'check'], message: checkError.error, expected: checkError.expected });
}

function checkBalance(be: BackendLike, at: At, { issues }: Scope): void {
  const balance = be.balance !== undefined ? parseBalance(be.balance) : undefined;
  if (balance && 'error' in balance) issues.push({ path: [...at, 'balance'], message: balance.error, expected: balance.expected });
}

const FRONTEND_CHECKS: Check<FrontendLike>[] = [checkUseBackends, checkAclNames, checkCertificate, checkRuleValues];
const BACKEND_CHECKS: Check<BackendLike>[] = [checkAclNames, checkRuleValues, checkSorry, checkCaFile, checkServerNames, checkHealthCheck, checkBalance];

/** Two listeners on one address:port would fail at bind time; say so here with a position. */
function checkBinds(cfg: ProxySections, issues: Issue[]): void {
  const binds = new Map<string, string>();
  for (const [section, map] of [['frontends', cfg.frontends], ['listen', cfg.listen]] as const) {
    for (const [name, fe] of Object.entries(map ?? {})) {
      fe.bind.forEach((b: Endpoint, i: number) => {
        const key = `${b.host}:${b.port}`;
        const other = binds.get(key);
        const path = fe.bind.length > 1 ? [section, name, 'bind', i] : [section, name, 'bind'];
        if (other && b.port !== 0) issues.push({ path, message: `address ${key} is already bound by ${other}`, expected: 'one proxy per address:port' });
        else binds.set(key, `${section === 'listen' ? 'listen' : 'frontend'} '${name}'`);
      });
    }
  }
}
