// The admin API: HTTP+JSON over a small node:http server (control plane, not the data path).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Endpoint } from '../config/index.js';
import { sameToken } from '../config/token.js';
import { closeServer, listenOn, rebind, sameEndpoint } from './rebind.js';
import type { AdminState, PoolDriver, ServerSpec } from '../interfaces/pool-driver.js';
import type { BuiltinProxy } from './builtin-proxy.js';
import { NotFound } from '../errors/index.js';
import { createMetrics } from './observe/metrics.js';
import { collectStats } from './observe/stats.js';

export interface AdminOptions {
  bind: Endpoint;
  token?: string;
  /** another data plane (the HAProxy driver) whose pools the API shows and changes instead of the built-in proxy's */
  pools?: PoolDriver;
}

class BadRequest extends Error {}

const STATES: Record<string, AdminState> = { ready: 'ready', drain: 'drain', maint: 'maint' };
const MAX_BODY = 1024 * 1024;

export class AdminServer {
  private server?: Server;
  private readonly metrics;

  constructor(private readonly proxy: BuiltinProxy, private readonly opts: AdminOptions, private readonly log: Logger) {
    this.metrics = createMetrics(proxy);
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
    const a = this.server?.address();
    if (!a || typeof a === 'string') return this.opts.bind; // not listening (stopped)
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await closeServer(s);
  }

  private create(): Server {
    return createServer((req, res) => void this.handle(req, res));
  }

  private listening(): Endpoint {
    const a = this.address();
    this.log.info({ admin: `${a.host}:${a.port}` }, `admin API listening on ${a.host}:${a.port}`);
    return a;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, type = 'application/json') => {
      const text = type === 'application/json' ? JSON.stringify(body, null, 2) + '\n' : String(body);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if (this.opts.token && !sameToken(req.headers.authorization ?? '', `Bearer ${this.opts.token}`)) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(401, { error: 'missing or wrong bearer token' });
      }
      const url = new URL(req.url ?? '/', 'http://admin');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const method = req.method ?? 'GET';
      const p = this.proxy;
      if (method === 'GET') await p.freshen();
      if (method === 'GET' && url.pathname === '/metrics') return send(200, await this.metrics.metrics(), this.metrics.contentType);
      if (parts[0] !== 'v1') return send(404, { error: 'not found' });
      const [, what, name, sub, server, field] = parts;
      if (method === 'GET' && what === 'stats' && !name) return send(200, collectStats(p));
      if (method === 'GET' && what === 'frontends' && !name) return send(200, collectStats(p).frontends);
      if (what !== 'backends') return send(404, { error: 'not found' });
      // Pools are read from, and changed through, the data plane's PoolDriver: the built-in proxy, or the
      // HAProxy driver with `proxy: haproxy` (then the views come from HAProxy's own stats).
      const driver: PoolDriver = this.opts.pools ?? p;
      const backendView = async (b: string) => {
        if (!this.opts.pools) return { ...p.backend(b).view(), stats: collectStats(p).backends.find((x) => x.name === b) };
        const view = (await driver.snapshot()).find((x) => x.name === b);
        if (!view) throw new NotFound(`no such backend '${b}'`);
        return view;
      };
      if (method === 'GET' && !name) {
        return send(200, this.opts.pools ? (await driver.snapshot()).map((b) => ({ name: b.name, servers: b.servers.length })) : collectStats(p).backends);
      }
      if (method === 'GET' && name && !sub) return send(200, await backendView(name));
      if (method === 'PUT' && name && sub === 'servers' && !server) {
        const body = await readJson(req);
        const list = Array.isArray(body) ? body : (body as { servers?: unknown })?.servers;
        if (!Array.isArray(list)) throw new BadRequest('body must be a list of servers (or {"servers": [...]})');
        return send(200, await driver.setServers(name, list.map(toSpec)));
      }
      if ((method === 'PUT' || method === 'POST') && name && sub === 'servers' && server && (field === 'state' || field === 'weight')) {
        const body = (await readJson(req)) as Record<string, unknown>;
        if (field === 'state') {
          const state = STATES[String(body?.state)];
          if (!state) throw new BadRequest('state must be one of ready, drain, maint');
          await driver.setState(name, server, state);
        } else {
          const w = body?.weight;
          if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 256) throw new BadRequest('weight must be an integer 0..256');
          await driver.setWeight(name, server, w);
        }
        const view = (await backendView(name)) as { servers: { name: string }[] };
        return send(200, view.servers.find((x) => x.name === server) ?? {});
      }
      return send(404, { error: 'not found' });
    } catch (err) {
      if (err instanceof NotFound) return send(404, { error: err.message });
      if (err instanceof BadRequest || err instanceof RangeError || err instanceof SyntaxError) return send(400, { error: err.message });
      this.log.error({ err }, 'admin API error');
      return send(500, { error: (err as Error).message });
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest('body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new BadRequest('empty body');
  return JSON.parse(text);
}

function toSpec(v: unknown, i: number): ServerSpec {
  const o = v as Record<string, unknown>;
  const fail = (what: string) => {
    throw new BadRequest(`servers[${i}]: ${what}`);
  };
  if (!o || typeof o !== 'object') fail('must be an object');
  if (typeof o.name !== 'string' || !o.name) fail('name is required');
  let addr = o.addr;
  let port = o.port;
  if (typeof addr === 'string' && port === undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
    if (!m) fail('addr must be host:port');
    addr = m![1] ?? m![2];
    port = Number(m![3]);
  }
  if (typeof addr !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail('addr and port are required');
  const weight = o.weight;
  if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 256)) fail('weight must be 0..256');
  const state = o.state === undefined ? undefined : STATES[String(o.state)];
  if (o.state !== undefined && !state) fail('state must be ready, drain or maint');
  return {
    name: o.name as string,
    addr: addr as string,
    port: port as number,
    weight: weight as number | undefined,
    backup: o.backup === true,
    monitorOnly: o.monitor === true || o.monitorOnly === true,
    state,
    check: typeof o.check === 'boolean' ? { enabled: o.check } : undefined,
  };
}
