// The admin API: HTTP+JSON on the kit in src/http-api/ (control plane, not the data path). Errors answer
// {error, code} (LBA_ERR_ADMIN_*, LBA_ERR_API_*).
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { duration } from '../config/index.js';
import type { Endpoint } from '../net/index.js';
import { AdminNotFound, AdminRefused, NotFound } from '../errors/index.js';
import { createApi, JsonAnswer, route, TextAnswer, type Route } from '../http-api/index.js';
import { boundAddress, closeIfAny, listenOn, rebind, sameEndpoint } from './rebind.js';
import type { PoolDriver, ServerSpec } from '../interfaces/index.js';
import type { BuiltinProxy } from './builtin-proxy.js';
import { registerProxyMetrics } from './observe/metrics.js';
import { MetricsHub } from '../metrics/index.js';
import { collectStats } from './observe/stats.js';
import type { Health } from './observe/health.js';

export interface AdminOptions {
  bind: Endpoint;
  token?: string;
  /** another data plane (the HAProxy driver) whose pools the API shows and changes instead of the built-in proxy's */
  pools?: PoolDriver;
  /** GET /v1/health: 200 while serving, 503 with why not */
  health?: Health;
  /** what GET /metrics answers (the proxy's families are added here); by default a registry of its own */
  metrics?: MetricsHub;
}

export class AdminServer {
  private server?: Server;
  private readonly metrics: MetricsHub;

  constructor(private readonly proxy: BuiltinProxy, private readonly opts: AdminOptions, private readonly log: Logger) {
    this.metrics = opts.metrics ?? new MetricsHub();
    registerProxyMetrics(this.metrics, proxy);
  }

  async start(): Promise<Endpoint> {
    const server = this.create();
    await listenOn(server, this.opts.bind);
    this.server = server;
    return this.listening();
  }

  /**
   * A reload's admin settings: the token counts from the next request; a new bind opens before the old one
   * closes. Throws when the new address cannot be bound (the old one keeps serving, with the new token).
   */
  async update(next: { bind: Endpoint; token?: string }): Promise<Endpoint> {
    this.opts.token = next.token;
    if (!this.server || sameEndpoint(next.bind, this.opts.bind)) return this.address();
    const r = await rebind(this.server, this.opts.bind, next.bind, () => this.create());
    this.server = r.server;
    if (r.error) throw r.error;
    this.opts.bind = next.bind;
    return this.listening();
  }

  /** Where the API listens now. */
  address(): Endpoint {
    return boundAddress(this.server, this.opts.bind);
  }

  stop(): Promise<void> {
    return closeIfAny(this.server);
  }

  private create(): Server {
    return createServer(
      createApi({ name: 'admin API', routes: this.routes(), token: () => this.opts.token, log: this.log, pretty: true, mapError: adminError }),
    );
  }

  private listening(): Endpoint {
    const a = this.address();
    this.log.info({ admin: `${a.host}:${a.port}` }, `admin API listening on ${a.host}:${a.port}`);
    return a;
  }

  /** The API as a table. GETs first bring the counters of forked workers in (freshen). */
  private routes(): Route[] {
    const p = this.proxy;
    const fresh = <T>(read: () => T | Promise<T>) => async () => (await p.freshen(), read());
    // Pools are read from, and changed through, the data plane's PoolDriver: the built-in proxy, or the
    // HAProxy driver with `proxy: haproxy` (then the views come from HAProxy's own stats).
    const driver = (): PoolDriver => this.opts.pools ?? p;
    const backendView = async (b: string) => {
      if (!this.opts.pools) return { ...p.backend(b).view(), stats: collectStats(p).backends.find((x) => x.name === b) };
      const view = (await this.opts.pools.snapshot()).find((x) => x.name === b);
      if (!view) throw new AdminNotFound(`no such backend '${b}'`);
      return view;
    };
    const serverView = async (b: string, server: string) => ((await backendView(b)) as { servers: { name: string }[] }).servers.find((x) => x.name === server) ?? {};
    const SERVER = '/v1/backends/:name/servers/:server';
    return [
      // no token needed: keepalived's check script and load balancers ask it; it says only what failed
      route({
        method: 'GET',
        path: '/v1/health',
        public: true,
        handler: async () => {
          const r = this.opts.health ? await this.opts.health.report() : { status: 'serving', why: [], checks: {} };
          return new JsonAnswer(r.status === 'serving' ? 200 : 503, r);
        },
      }),
      route({ method: 'GET', path: '/metrics', handler: async () => new TextAnswer(await this.metrics.text(), this.metrics.contentType) }),
      route({ method: 'GET', path: '/v1/stats', handler: fresh(() => collectStats(p)) }),
      route({ method: 'GET', path: '/v1/frontends', handler: fresh(() => collectStats(p).frontends) }),
      route({
        method: 'GET',
        path: '/v1/backends',
        handler: fresh(async () => (this.opts.pools ? (await this.opts.pools.snapshot()).map((b) => ({ name: b.name, servers: b.servers.length })) : collectStats(p).backends)),
      }),
      route({ method: 'GET', path: '/v1/backends/:name', handler: ({ params }) => fresh(() => backendView(params.name!))() }),
      route({ method: 'PUT', path: '/v1/backends/:name/servers', body: serversBody, handler: async ({ params, body }) => driver().setServers(params.name!, body) }),
      route({
        method: ['PUT', 'POST'],
        path: `${SERVER}/state`,
        body: stateBody,
        handler: async ({ params, body }) => (await driver().setState(params.name!, params.server!, body.state), serverView(params.name!, params.server!)),
      }),
      route({
        method: ['PUT', 'POST'],
        path: `${SERVER}/weight`,
        body: weightBody,
        handler: async ({ params, body }) => (await driver().setWeight(params.name!, params.server!, body.weight), serverView(params.name!, params.server!)),
      }),
    ];
  }
}

/** The proxy's own refusals, coded: an unknown backend or server is a 404, a value it refuses a 400. */
function adminError(err: unknown): unknown {
  if (err instanceof NotFound) return new AdminNotFound(err.message);
  if (err instanceof RangeError) return new AdminRefused(err.message);
  return err;
}

const state = z.enum(['ready', 'drain', 'maint'], { error: 'must be one of ready, drain, maint' });
const weight = z.number({ error: 'must be an integer 0..256' }).int('must be an integer 0..256').min(0, 'must be an integer 0..256').max(256, 'must be an integer 0..256');
const stateBody = z.object({ state }, { error: 'must be {"state": "ready|drain|maint"}' });
const weightBody = z.object({ weight }, { error: 'must be {"weight": 0..256}' });

/** A server as the API takes it: `addr: "host:port"`, or `addr` and `port`; `monitor` is monitorOnly's short name. */
const serverSpec = z
  .object({
    name: z.string({ error: 'is required' }).min(1, 'is required'),
    addr: z.string({ error: 'must be host:port' }),
    port: z.number().int().min(1).max(65535).optional(),
    weight: weight.optional(),
    backup: z.boolean().optional(),
    monitor: z.boolean().optional(),
    monitorOnly: z.boolean().optional(),
    state: state.optional(),
    /** HAProxy's slowstart: ms, or a duration such as "30s" */
    slowstart: duration().optional(),
    /** `true`/`false`, or the check's settings as in lbagent.yml: `{ enabled, inter, rise, fall, port }` */
    check: z
      .union([
        z.boolean(),
        z.object({ enabled: z.boolean().optional(), inter: duration().optional(), rise: z.number().int().min(1).optional(), fall: z.number().int().min(1).optional(), port: z.number().int().min(1).max(65535).optional() }),
      ], { error: 'must be true, false or {"enabled", "inter", "rise", "fall", "port"}' })
      .optional(),
  })
  .transform((o, ctx): ServerSpec => {
    let { addr, port } = o;
    if (port === undefined) {
      const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
      port = m ? Number(m[3]) : NaN;
      if (!m || !(port >= 1 && port <= 65535)) {
        ctx.addIssue({ code: 'custom', path: ['addr'], message: 'must be host:port, or addr and port' });
        return z.NEVER;
      }
      addr = (m[1] ?? m[2])!;
    }
    return {
      name: o.name,
      addr,
      port,
      weight: o.weight,
      backup: o.backup === true,
      monitorOnly: o.monitor === true || o.monitorOnly === true,
      state: o.state,
      check: o.check === undefined ? undefined : typeof o.check === 'boolean' ? { enabled: o.check } : { ...o.check, enabled: o.check.enabled ?? true },
      ...(o.slowstart !== undefined ? { slowstart: o.slowstart } : {}),
    };
  });
/** A list of servers, or {"servers": [...]}. */
const serversBody = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'servers' in v ? v.servers : v),
  z.array(serverSpec, { error: 'must be a list of servers (or {"servers": [...]})' }),
);
