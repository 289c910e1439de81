// A Consul HTTP API stand-in (no Consul binary can be installed here): the catalog and health endpoints a member
// source reads, with Consul's documented semantics (api-docs/features/blocking.mdx): X-Consul-Index, blocking
// queries that return on a change or after `wait` (plus up to wait/16 of jitter), an index that can go
// backwards (a snapshot restore), ACLs (403 "ACL not found" for an unknown token, results filtered for none),
// 500s, answers that never come, and maintenance as the critical checks `consul maint` registers.
// Answers are built on the shapes recorded from Consul's documentation in test/fixtures/consul/.
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'consul');
type Json = Record<string, unknown>;
const SAMPLE = (JSON.parse(readFileSync(join(fixtures, 'health-service.json'), 'utf8')) as Json[])[0]!;
const MAINT = JSON.parse(readFileSync(join(fixtures, 'maintenance-checks.json'), 'utf8')) as Json[];

export type CheckStatus = 'passing' | 'warning' | 'critical';
export interface StandinCheck { id: string; name?: string; status: CheckStatus; notes?: string; output?: string }
export interface StandinService { id: string; name: string; port: number; address?: string; tags?: string[]; meta?: Record<string, string>; checks?: StandinCheck[] }

interface NodeRec { name: string; address: string; checks: StandinCheck[]; maint?: string; index: number }
interface ServiceRec extends StandinService { node: string; maint?: string; index: number }
interface Waiter { key: string; index: number; wake: () => void }


export interface ConsulStandin {
  url: string;
  port: number;
  datacenter: string;
  /** every request seen: path, query and token */
  requests: Array<{ path: string; query: Record<string, string>; token?: string; at: number }>;
  register(node: string, address: string, service: StandinService): void;
  deregister(node: string, serviceId: string): void;
  setCheck(node: string, serviceId: string | undefined, checkId: string, status: CheckStatus, output?: string): void;
  /** `consul maint -enable [-service id] -reason …` / `-disable` */
  maint(node: string, serviceId: string | undefined, enable: boolean, reason?: string): void;
  /** answer every request with this status and body (undefined: answer normally again) */
  fail(status: number | undefined, body?: string): void;
  /** hold every request without answering (undefined/false: answer again; held ones get their answer then) */
  hang(on: boolean): void;
  /** the raft index goes back to `to` (a snapshot restore) */
  resetIndex(to: number): void;
  /** the current raft index */
  index(): number;
  /** stop listening (connections refused), keeping the catalog; up() listens again on the same port */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A node ID (a UUID, as Consul's) that stays the same for a node name. */
function nodeId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Go's time.ParseDuration for what Consul's `wait` takes ("10s", "1m30s", "100ms"); undefined if invalid. */
function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  return s.length > 0 && pos === s.length ? total : undefined;
}

/** `tls`: a PEM holding the certificate and its key (test/helpers/certs.ts issue()): serve https, as Consul's 8501. */
export async function startConsulStandin(opts: { token?: string; datacenter?: string; jitter?: boolean; port?: number; tls?: string } = {}): Promise<ConsulStandin> {
  const datacenter = opts.datacenter ?? 'dc1';
  let raft = 10;
  const nodes = new Map<string, NodeRec>();
  const services = new Map<string, ServiceRec>(); // node\0id
  const waiters = new Set<Waiter>();
  /** per service name, the index of its last deregistration (its result changed although no instance carries it) */
  const tombstone = new Map<string, number>();
  let failure: { status: number; body: string } | undefined;
  let hanging = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const requests: ConsulStandin['requests'] = [];

  const bump = () => ++raft;
  const notify = () => {
    for (const w of [...waiters]) if (currentIndex(w.key) > w.index) w.wake();
  };
  // The index of a query: the last write that touched its result (Consul's per-service index); for a service
  // never seen, the table's index, as Consul answers for an empty result.
  function currentIndex(key: string): number {
    if (key === 'catalog') return Math.max(0, ...[...services.values()].map((s) => s.index), ...[...nodes.values()].map((n) => n.index), 0) || raft;
    const name = key.slice('health:'.length);
    let idx = 0;
    for (const s of services.values()) {
      if (s.name !== name) continue;
      idx = Math.max(idx, s.index, nodes.get(s.node)?.index ?? 0);
    }
    return Math.max(idx, tombstone.get(name) ?? 0) || raft;
  }

  function nodeOf(name: string, address: string): NodeRec {
    let n = nodes.get(name);
    if (!n) {
      n = { name, address, checks: [{ id: 'serfHealth', name: 'Serf Health Status', status: 'passing' }], index: bump() };
      nodes.set(name, n);
    }
    return n;
  }

  function checkJson(node: string, c: StandinCheck, svc?: ServiceRec): Json {
    const tmpl = (SAMPLE.Checks as Json[])[svc ? 0 : 1]!;
    return { ...tmpl, Node: node, CheckID: c.id, Name: c.name ?? c.id, Status: c.status, Notes: c.notes ?? '', Output: c.output ?? '', ServiceID: svc?.id ?? '', ServiceName: svc?.name ?? '', ServiceTags: svc?.tags ?? [] };
  }
  function maintJson(which: 0 | 1, node: string, reason: string, svc?: ServiceRec): Json {
    const tmpl = MAINT[which]!;
    const base = { ...tmpl, Node: node, Notes: reason || tmpl.Notes };
    return svc ? { ...base, CheckID: `_service_maintenance:${svc.id}`, ServiceID: svc.id, ServiceName: svc.name, ServiceTags: svc.tags ?? [] } : base;
  }

  function healthOf(name: string): Json[] {
    const out: Json[] = [];
    const sorted = [...services.values()].filter((s) => s.name === name).sort((a, b) => (a.node + a.id).localeCompare(b.node + b.id));
    for (const s of sorted) {
      const n = nodes.get(s.node)!;
      const sn = SAMPLE.Node as Json;
      const ss = SAMPLE.Service as Json;
      const checks: Json[] = [];
      if (n.maint !== undefined) checks.push(maintJson(0, n.name, n.maint));
      if (s.maint !== undefined) checks.push(maintJson(1, n.name, s.maint, s));
      for (const c of s.checks ?? []) checks.push(checkJson(n.name, c, s));
      for (const c of n.checks) checks.push(checkJson(n.name, c));
      out.push({
        Node: { ...sn, ID: nodeId(n.name), Node: n.name, Address: n.address, Datacenter: datacenter, TaggedAddresses: { lan: n.address, wan: n.address }, Meta: {}, CreateIndex: n.index, ModifyIndex: n.index },
        Service: { ...ss, ID: s.id, Service: s.name, Tags: s.tags ?? [], Address: s.address ?? '', TaggedAddresses: {}, Meta: s.meta ?? {}, Port: s.port, Weights: { Passing: 1, Warning: 1 }, CreateIndex: s.index, ModifyIndex: s.index },
        Checks: checks,
      });
    }
    return out;
  }

  function catalog(): Json {
    const out: Record<string, Set<string>> = { consul: new Set() };
    for (const s of services.values()) for (const t of s.tags ?? []) (out[s.name] ??= new Set()).add(t);
    for (const s of services.values()) out[s.name] ??= new Set();
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
  }

  function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain; charset=utf-8', 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '0', ...headers });
    res.end(body);
  }

  function answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://standin');
    const query = Object.fromEntries(url.searchParams);
    const token = req.headers['x-consul-token'] as string | undefined;
    requests.push({ path: url.pathname, query, token, at: Date.now() });
    if (failure) return send(res, failure.status, failure.body);
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    let key: string;
    if (url.pathname === '/v1/catalog/services') key = 'catalog';
    else if (url.pathname.startsWith('/v1/health/service/')) key = `health:${decodeURIComponent(url.pathname.slice('/v1/health/service/'.length))}`;
    else return send(res, 404, `Invalid URL path: not a recognized HTTP API endpoint`);
    if (query.dc !== undefined && query.dc !== datacenter) return send(res, 500, 'No path to datacenter');
    let filtered = false;
    if (opts.token !== undefined) {
      if (token !== undefined && token !== opts.token) return send(res, 403, 'ACL not found');
      filtered = token === undefined; // the anonymous token under default deny: results filtered, not refused
    }
    const wantIndex = query.index === undefined ? 0 : Number(query.index);
    if (!Number.isSafeInteger(wantIndex) || wantIndex < 0) return send(res, 400, 'Invalid index');
    let waitMs = 5 * 60_000;
    if (query.wait !== undefined) {
      const w = parseGoDuration(query.wait);
      if (w === undefined) return send(res, 400, 'Invalid wait time');
      waitMs = Math.min(w, 10 * 60_000);
    }
    if (opts.jitter) waitMs += Math.random() * (waitMs / 16);
    const reply = () => {
      const idx = currentIndex(key);
      const body = filtered ? (key === 'catalog' ? {} : []) : key === 'catalog' ? catalog() : healthOf(key.slice('health:'.length));
      const headers: Record<string, string> = { 'x-consul-index': String(idx) };
      if (filtered) headers['x-consul-results-filtered-by-acls'] = 'true';
      send(res, 200, JSON.stringify(body), headers);
    };
    // Blocks while the result is at the index the client has (Consul: until a change or the wait is over).
    // An index the result has not reached (it went backwards under the client) blocks as well: the client learns
    // of the lower index when its wait is over.
    if (wantIndex > 0 && currentIndex(key) <= wantIndex) {
      const w: Waiter = { key, index: wantIndex, wake: () => finish() };
      const timer = setTimeout(() => finish(), waitMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(w);
        if (failure) send(res, failure.status, failure.body);
        else if (hanging) held.push(finish);
        else reply();
      };
      waiters.add(w);
      res.on('close', () => {
        clearTimeout(timer);
        waiters.delete(w);
      });
      return;
    }
    reply();
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (hanging) {
      held.push(() => answer(req, res));
      return;
    }
    answer(req, res);
  };
  const pem = opts.tls === undefined ? undefined : readFileSync(opts.tls);
  const server = pem ? https.createServer({ cert: pem, key: pem }, handler) : http.createServer(handler);
  server.on(pem ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const change = (f: () => void) => {
    f();
    notify();
  };
  return {
    url: `${pem ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    datacenter,
    requests,
    register(node, address, service) {
      change(() => {
        nodeOf(node, address);
        const prev = services.get(`${node}\0${service.id}`);
        services.set(`${node}\0${service.id}`, { ...service, checks: service.checks?.map((c) => ({ ...c })), node, maint: prev?.maint, index: bump() });
      });
    },
    deregister(node, serviceId) {
      change(() => {
        const s = services.get(`${node}\0${serviceId}`);
        if (!s) return;
        services.delete(`${node}\0${serviceId}`);
        tombstone.set(s.name, bump());
      });
    },
    setCheck(node, serviceId, checkId, status, output) {
      change(() => {
        const holder = serviceId === undefined ? nodes.get(node) : services.get(`${node}\0${serviceId}`);
        if (!holder) throw new Error(`stand-in: no ${serviceId === undefined ? 'node' : 'service'} ${node}/${serviceId ?? ''}`);
        holder.checks ??= [];
        const c = holder.checks.find((x) => x.id === checkId);
        if (c) {
          c.status = status;
          c.output = output;
        } else holder.checks.push({ id: checkId, status, output });
        holder.index = bump();
      });
    },
    maint(node, serviceId, enable, reason = '') {
      change(() => {
        const holder = serviceId === undefined ? nodes.get(node) : services.get(`${node}\0${serviceId}`);
        if (!holder) throw new Error(`stand-in: no ${serviceId === undefined ? 'node' : 'service'} ${node}/${serviceId ?? ''}`);
        holder.maint = enable ? reason : undefined;
        holder.index = bump();
      });
    },
    fail(status, body = status === 500 ? 'No cluster leader' : '') {
      failure = status === undefined ? undefined : { status, body };
    },
    hang(on) {
      hanging = on;
      if (!on) for (const f of held.splice(0)) f();
    },
    resetIndex(to) {
      raft = to;
      for (const n of nodes.values()) n.index = Math.min(n.index, to);
      for (const s of services.values()) s.index = Math.min(s.index, to);
      for (const [k, v] of tombstone) tombstone.set(k, Math.min(v, to));
    },
    index: () => raft,
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const w of [...waiters]) waiters.delete(w);
      held.splice(0);
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
