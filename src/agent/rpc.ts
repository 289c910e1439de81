// The agent's local RPC: HTTP + JSON on the RPC address (loopback by default), optional auth key.
// The CLI talks to the agent only through this; every endpoint is documented in the README.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { SerfRpcSession, startsSerfRpc } from './serf-rpc.js';
import { sameToken } from '../config/token.js';
import type { KeyOp, KeyOpResult, QueryOptions, SerfEvent, SerfMember } from '../gossip/index.js';
import type { Logger } from 'pino';
import { formatLogLine, monitorLevel, type LogEntry } from '../log/tap.js';
import { DropGate } from './drop-gate.js';
import { filterMatches, parseHandlerSpec } from './handlers.js';
import { FilterRegex as FilterRegexError } from '../errors/index.js';
import { filterMembers } from './member-filter.js';

/** What the RPC needs from the agent (kept narrow so the RPC can be tested on its own). */
export interface RpcTarget {
  info(): { name: string; addr: string; port: number; tags: Record<string, string> };
  members(): SerfMember[];
  join(addrs: string[], replay: boolean): Promise<number>;
  leave(): Promise<void>;
  forceLeave(node: string, prune: boolean): Promise<void>;
  userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void>;
  setTags(set: Record<string, string>, del: string[]): Promise<void>;
  stats(): unknown;
  /** `serf monitor`: the kept log lines at `minLevel` or above, then each new one; returns the unsubscribe */
  monitor(minLevel: number, onLine: (e: LogEntry) => void): () => void;
  /** `serf query`: acks and responses go to the options' callbacks as they arrive */
  query(name: string, payload: Buffer, opts: QueryOptions): Promise<Array<{ from: string; payload: Buffer }>>;
  /** `serf keys`: every alive member's keyring */
  keyOp(op: KeyOp, key?: string): Promise<KeyOpResult>;
  subscribe(listener: (e: SerfEvent) => void): () => void;
  /** payload serf's maintenance scripts send: "NODE IP ROLE" */
  maintenancePayload(): string;
}

export interface MemberJson {
  name: string;
  addr: string;
  port: number;
  status: string;
  tags: Record<string, string>;
  protocol?: SerfMember['protocol'];
}

export function memberJson(m: SerfMember, verbose = false): MemberJson {
  const j: MemberJson = { name: m.name, addr: m.addr, port: m.port, status: m.status, tags: m.tags };
  if (verbose) j.protocol = m.protocol;
  return j;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw new HttpError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new HttpError(400, `${what} must be a string`);
  return v;
};

export class AgentRpcServer {
  /** the listener: each connection goes to serf's msgpack RPC or to the HTTP server by its first byte */
  private readonly server: NetServer;
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: RpcTarget, private readonly authKey: string | undefined, private readonly log: Logger) {
    this.server = createNetServer((sock) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
      sock.on('error', () => {});
      sock.once('data', (first: Buffer) => {
        sock.pause();
        if (startsSerfRpc(first[0]!)) {
          new SerfRpcSession(sock, first, target, authKey, log);
          sock.resume();
          return;
        }
        sock.unshift(first);
        this.http.emit('connection', sock);
        sock.resume();
      });
    });
    this.http = createServer((req, res) => {
      this.route(req, res).catch((err: Error) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (status === 500) this.log.warn({ err }, 'rpc: request failed');
        if (!res.headersSent) send(res, status, { error: err.message });
        else res.destroy();
      });
    });
    this.http.keepAliveTimeout = 5000;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.authKey) return true;
    const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    return sameToken(given, this.authKey);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) throw new HttpError(401, 'Invalid authentication token');
    const url = new URL(req.url ?? '/', 'http://agent');
    const route = `${req.method} ${url.pathname}`;
    const t = this.target;
    switch (route) {
      case 'GET /v1/info':
        return send(res, 200, { ...t.info(), stats: t.stats() });
      case 'GET /v1/members': {
        const tags: Record<string, string> = {};
        for (const kv of url.searchParams.getAll('tag')) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new HttpError(400, `invalid tag filter '${kv}', expected key=value`);
          tags[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        let members: SerfMember[];
        try {
          members = filterMembers(t.members(), { status: url.searchParams.get('status') ?? undefined, name: url.searchParams.get('name') ?? undefined, tags });
        } catch (err) {
          // A pattern RE2 refuses (look-around, back-references, too large) is the client's error.
          if (err instanceof FilterRegexError) throw new HttpError(400, `invalid filter: ${err.message}`);
          throw err;
        }
        const verbose = url.searchParams.get('verbose') === 'true';
        return send(res, 200, members.map((m) => memberJson(m, verbose)));
      }
      case 'POST /v1/join': {
        const body = await readJson(req);
        const addrs = body.addrs;
        if (!Array.isArray(addrs) || addrs.length === 0 || !addrs.every((a) => typeof a === 'string')) throw new HttpError(400, 'addrs must be a non-empty list of addresses');
        try {
          const num = await t.join(addrs as string[], body.replay === true);
          return send(res, 200, { num });
        } catch (err) {
          throw new HttpError(502, `Error joining the cluster: ${(err as Error).message}`);
        }
      }
      case 'POST /v1/leave':
        send(res, 200, {});
        // Answer first: leaving ends the process.
        setImmediate(() => void t.leave());
        return;
      case 'POST /v1/force-leave': {
        const body = await readJson(req);
        const node = str(body.node, 'node');
        if (!node) throw new HttpError(400, 'node must not be empty');
        try {
          await t.forceLeave(node, body.prune === true);
        } catch (err) {
          throw new HttpError(500, `Error force leaving: ${(err as Error).message}`);
        }
        return send(res, 200, {});
      }
      case 'POST /v1/event': {
        const body = await readJson(req);
        const name = str(body.name, 'name');
        if (!name) throw new HttpError(400, 'name must not be empty');
        let payload: Buffer;
        if (typeof body.payloadBase64 === 'string') payload = Buffer.from(body.payloadBase64, 'base64');
        else if (typeof body.payload === 'string') payload = Buffer.from(body.payload);
        else if ((name === 'pause' || name === 'resume') && body.payload === undefined) payload = Buffer.from(t.maintenancePayload());
        else payload = Buffer.alloc(0);
        try {
          await t.userEvent(name, payload, body.coalesce !== false);
        } catch (err) {
          throw new HttpError(400, `Error sending event: ${(err as Error).message}`);
        }
        return send(res, 200, { name, payload: payload.toString() });
      }
      case 'POST /v1/tags': {
        const body = await readJson(req);
        const set = (body.set ?? {}) as Record<string, unknown>;
        const del = (body.delete ?? []) as unknown[];
        if (typeof set !== 'object' || Array.isArray(set) || !Object.values(set).every((v) => typeof v === 'string')) throw new HttpError(400, 'set must map tag names to strings');
        if (!Array.isArray(del) || !del.every((v) => typeof v === 'string')) throw new HttpError(400, 'delete must be a list of tag names');
        try {
          await t.setTags(set as Record<string, string>, del as string[]);
        } catch (err) {
          throw new HttpError(400, `Error setting tags: ${(err as Error).message}`);
        }
        return send(res, 200, { tags: t.info().tags });
      }
      case 'GET /v1/stats':
        return send(res, 200, t.stats());
      // Cluster-wide, as `serf keys`: the answer counts nodes, responses and errors (200 even when some failed,
      // as serf reports per node); 400 when the request itself is refused (no encryption, bad key).
      case 'GET /v1/keys':
        return send(res, 200, await t.keyOp('list'));
      case 'POST /v1/keys/install':
      case 'POST /v1/keys/use':
      case 'POST /v1/keys/remove': {
        const body = await readJson(req);
        const key = str(body.key, 'key');
        const op = url.pathname.split('/').pop() as 'install' | 'use' | 'remove';
        try {
          return send(res, 200, await t.keyOp(op, key));
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
      }
      case 'GET /v1/stream':
        return this.stream(url, req, res);
      case 'POST /v1/query':
        return this.query(await readJson(req), res);
      case 'GET /v1/monitor':
        return this.monitor(url, req, res);
      default:
        throw new HttpError(404, `no such endpoint: ${route}`);
    }
  }

  /**
   * `serf query` as NDJSON: {type:'ack',from}, {type:'response',from,payload} as they arrive, then
   * {type:'done',acks,responses} at the timeout. A query refused before it went out is a plain 400.
   */
  private async query(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const name = str(body.name, 'name');
    if (!name) throw new HttpError(400, 'name must not be empty');
    const payload = typeof body.payloadBase64 === 'string' ? Buffer.from(body.payloadBase64, 'base64') : Buffer.from(body.payload === undefined ? '' : str(body.payload, 'payload'));
    const nodes = body.nodes ?? [];
    if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) throw new HttpError(400, 'nodes must be a list of node names');
    const tags = (body.tags ?? {}) as Record<string, unknown>;
    if (typeof tags !== 'object' || Array.isArray(tags) || !Object.values(tags).every((v) => typeof v === 'string')) throw new HttpError(400, 'tags must map tag names to regular expressions');
    if (body.timeoutMs !== undefined && !(typeof body.timeoutMs === 'number' && body.timeoutMs > 0)) throw new HttpError(400, 'timeoutMs must be a positive number');
    let acks = 0;
    let responses = 0;
    const line = (o: object) => res.write(`${JSON.stringify(o)}\n`);
    try {
      await this.target.query(name, payload, {
        filterNodes: nodes as string[],
        filterTags: tags as Record<string, string>,
        requestAck: body.ack !== false,
        timeoutMs: body.timeoutMs as number | undefined,
        onDispatched: () => {
          startNdjson(res);
          line({ type: 'dispatched', name });
        },
        onAck: (from) => (acks++, line({ type: 'ack', from })),
        onResponse: (from, p) => (responses++, line({ type: 'response', from, payload: p.toString('utf8'), payloadBase64: p.toString('base64') })),
      });
    } catch (err) {
      if (!res.headersSent) throw new HttpError(400, `Error sending query: ${(err as Error).message}`);
    }
    line({ type: 'done', acks, responses });
    res.end();
  }

  /** `serf monitor` as NDJSON: {line} in serf's log format, the kept lines first (?level=debug|info|warn|err). */
  private monitor(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const name = url.searchParams.get('level') ?? 'info';
    const min = monitorLevel(name);
    if (min === undefined) throw new HttpError(400, `Unknown log level: ${name} (expected trace, debug, info, warn or err)`);
    startNdjson(res);
    res.write('\n');
    const gate = new DropGate(() => res.writableLength, () => this.log.warn(`agent.ipc: Dropping logs to ${clientOf(req)}`));
    const unsubscribe = this.target.monitor(min, (e) => {
      if (gate.pass()) res.write(`${JSON.stringify({ line: formatLogLine(e) })}\n`);
    });
    req.on('close', unsubscribe);
  }

  /** NDJSON stream of events, filtered with the event-handler filter syntax (?filter=member-join,user:deploy). */
  private stream(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const spec = parseHandlerSpec(`${url.searchParams.get('filter') ?? '*'}=stream`);
    if ('error' in spec) throw new HttpError(400, spec.error);
    startNdjson(res);
    res.write('\n');
    const gate = new DropGate(() => res.writableLength, () => this.log.error(`agent.ipc: Dropping events to ${clientOf(req)}`));
    const unsubscribe = this.target.subscribe((e) => {
      if (!filterMatches(spec.filters, e) || !gate.pass()) return;
      const line =
        e.type === 'user' || e.type === 'query'
          ? { event: e.type, name: e.name, ltime: e.ltime, payload: e.payload.toString('base64') }
          : { event: e.type, members: e.members.map((m) => memberJson(m)) };
      res.write(`${JSON.stringify(line)}\n`);
    });
    req.on('close', unsubscribe);
  }
}

function clientOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

/** The head of a streamed answer: one JSON object per line, written as things happen. */
function startNdjson(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
