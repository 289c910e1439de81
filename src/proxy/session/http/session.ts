// One client connection in `mode http`: parse request heads on the raw socket, forward them over pooled
// keep-alive server connections, pass bodies through by their framing, and log one line per request.
import { BlockList, isIPv6, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { logAccess } from '../../observe/access-log.js';
import type { BackendRuntime } from '../../engine/backend.js';
import type { EngineContext, FrontendRef } from '../../engine/context.js';
import type { FrontendDef } from '../../model/index.js';
import { ConnectTimeout, retryDelay, setConnHandler, setSocketTimeout, type Abortable, type ConnHandler, type ServerRuntime } from '../../engine/server.js';
import type { PickContext } from '../../balance/api.js';
import type { Acquired } from '../../engine/backend.js';
import { BodyWalker, FramingError } from '../../http/framing.js';
import {
  framingLines, headEnd, HeadError, headerValues, isFramingHeader, parseRequestHead, parseResponseHead, requestFraming,
  responseFraming, withoutHopByHop, type Framing, type RequestHead, type ResponseHead,
} from '../../http/head.js';
import { buildResponse } from '../../http/responses.js';
import { Pacer } from '../relay.js';
import type { RuleInput } from '../../http/rules.js';
import { requestedServer, rewriteRequestCookies, rewriteResponseCookies } from '../../http/cookie.js';

/** HAProxy's tune.bufsize: a request head must fit in it. */
export const MAX_HEAD = 16 * 1024;
const MAX_RESPONSE_HEAD = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
/** What a TLS bind adds to every request head (and the blank line that ends it). */
const PROTO_HTTPS = Buffer.from('x-forwarded-proto: https\r\n\r\n', 'latin1');

const exceptLists = new WeakMap<FrontendDef, BlockList>();
function exceptList(def: FrontendDef): BlockList {
  let bl = exceptLists.get(def);
  if (!bl) {
    bl = new BlockList();
    for (const c of def.forwardfor?.except ?? []) {
      const [addr, bits] = c.split('/') as [string, string | undefined];
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) bl.addAddress(addr, type);
      else bl.addSubnet(addr, Number(bits), type);
    }
    exceptLists.set(def, bl);
  }
  return bl;
}

export function clientAddress(sock: Socket): string {
  const a = sock.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

interface Exchange extends Abortable {
  head: RequestHead;
  start: number;
  Tq: number;
  Tw: number;
  Tc: number;
  Tr: number;
  keepAlive: boolean;
  reqWalker: BodyWalker;
  /** body bytes that arrived with the head */
  bodyStart: Buffer;
  backend?: BackendRuntime;
  server?: ServerRuntime;
  conn?: Socket;
  reused: boolean;
  retries: number;
  /** some request bytes beyond a reused connection's first write reached the server */
  bytesToServer: number;
  respStarted: boolean;
  respWalker?: BodyWalker;
  decodeChunked: boolean;
  serverReusable: boolean;
  bytesOut: number;
  status?: number;
  finished: boolean;
  phase: 'Q' | 'C' | 'H' | 'D';
  /** a WebSocket upgrade request: its Upgrade header value */
  upgrade?: string;
  /** the client's persistence cookie named the server that took the request */
  cookieHeld?: boolean;
  /** response bytes until the head is complete, and when the request was sent */
  rbuf: Buffer;
  sentAt: number;
  /** the response head, written with the first body bytes once the connection header is known */
  pendingHead?: ResponseHead;
  /**
   * The head exactly as received, when nothing in it needs rewriting (no hop-by-hop header, no rule, no cookie,
   * no added header): forwarded byte for byte, as a slice of the buffer it arrived in.
   */
  rawHead?: Buffer;
  /** the same for the response head: it goes out as the server sent it */
  rawResponse: boolean;
  /** backpressure and turns for a response body that takes more than one read (made then) */
  pacer?: Pacer;
}

export class HttpSession {
  private buf: Buffer = EMPTY;
  /** how much of `buf` was already searched for the end of a head */
  private scanned = 0;
  private state: 'idle' | 'head' | 'busy' | 'tunnel' | 'closed' = 'idle';
  /**
   * `timeout http-request` and `timeout http-keep-alive`: one timer each, made once per connection and restarted
   * with refresh() (no allocation per request). They are not cancelled between requests: each callback acts only
   * in the state it is meant for, and every entry into that state restarts its timer.
   */
  private headTimer?: NodeJS.Timeout;
  private keepAliveTimer?: NodeJS.Timeout;
  private reqStart = Date.now();
  private x?: Exchange;
  private clientEnded = false;
  private readonly client: string;
  private requests = 0;
  /** the client connection is TLS (a bind with ssl) */
  private readonly tls: boolean;

  constructor(private readonly sock: Socket, private readonly fe: FrontendRef, private readonly ctx: EngineContext, private readonly onClose: () => void) {
    this.client = clientAddress(sock);
    this.tls = (sock as TLSSocket).encrypted === true;
    sock.setNoDelay(true);
    sock.on('data', (c: Buffer) => {
      try {
        this.onData(c);
      } catch (err) {
        this.internalError(err);
      }
    });
    sock.on('end', () => this.onClientEnd());
    sock.on('error', () => {});
    sock.on('close', () => this.onClientClose());
    sock.on('timeout', () => this.onClientTimeout());
    // The first request has `timeout http-request` from the accept.
    this.armHeadTimer();
  }

  /** A bug must cost one connection, never the process: log it and cut the connection. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.internalError(err);
    }
  }

  private internalError(err: unknown): void {
    this.ctx.log.error({ err, frontend: this.fe.def.name }, `internal error on a connection from ${this.client}: ${(err as Error).message}`);
    this.fe.stats.errors++;
    const x = this.x;
    if (x && !x.finished) {
      x.conn?.destroy();
      this.complete(x, 'PD');
    }
    this.close(false);
  }

  private armHeadTimer(): void {
    if (this.headTimer) this.headTimer.refresh();
    else this.headTimer = setTimeout(() => this.headTimeout(), this.fe.def.timeouts.httpRequest);
  }

  private armKeepAliveTimer(): void {
    if (this.keepAliveTimer) this.keepAliveTimer.refresh();
    else this.keepAliveTimer = setTimeout(() => this.keepAliveTimeout(), this.fe.def.timeouts.httpKeepAlive);
  }

  private stopTimers(): void {
    clearTimeout(this.headTimer);
    clearTimeout(this.keepAliveTimer);
  }

  private onData(chunk: Buffer): void {
    this.fe.stats.bytesIn += chunk.length;
    if (this.state === 'closed') return;
    if (this.state === 'tunnel') {
      const x = this.x!;
      x.bytesToServer += chunk.length;
      x.server!.bytesIn += chunk.length;
      if (!x.conn!.write(chunk)) {
        this.sock.pause();
        x.conn!.once('drain', () => this.sock.resume());
      }
      return;
    }
    if (this.state === 'busy') {
      const x = this.x!;
      if (!x.reqWalker.done && x.conn && !x.finished) return this.forwardRequestBody(x, chunk);
      // Pipelined bytes of the next request: keep them, stop reading until this exchange ends.
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.sock.pause();
      return;
    }
    // One clock reading serves the whole synchronous run: parse, pick, send (timers in ms, as HAProxy's).
    const now = Date.now();
    let armHead = false;
    if (this.state === 'idle') {
      this.state = 'head';
      this.reqStart = now;
      armHead = this.requests > 0; // the first request is timed from the accept
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.tryHead(now);
    // Most heads arrive whole: arm `timeout http-request` only for one still incomplete.
    if (armHead && this.state === 'head') this.armHeadTimer();
  }

  private tryHead(now = Date.now()): void {
    // Empty lines before a request line are ignored (RFC 9112 2.2); they would otherwise read as an empty head.
    if (this.buf[0] === 0x0d) this.buf = skipEmptyLines(this.buf);
    const end = headEnd(this.buf, this.scanned);
    if (end < 0) {
      const from = this.scanned;
      this.scanned = this.buf.length;
      if (this.buf.length > MAX_HEAD) this.reject(431, 'PR', 'header block too large');
      // A head never completes with bare LF line ends: refuse it now rather than at `timeout http-request`.
      else if (hasBareLf(this.buf, from)) this.reject(400, 'PR', 'bare LF line end');
      else if (this.clientEnded) this.close(true);
      else if (this.buf.length) this.state = 'head';
      return;
    }
    if (end > MAX_HEAD + 4) return this.reject(431, 'PR', 'header block too large');
    let head: RequestHead;
    let framing: Framing;
    try {
      head = parseRequestHead(this.buf, end);
      framing = requestFraming(head);
    } catch (err) {
      return this.reject(err instanceof HeadError ? err.status : 400, 'PR', (err as Error).message);
    }
    // The head timer is left running: headTimeout() ignores it outside the 'head' state.
    this.state = 'busy';
    this.requests++;
    this.fe.stats.requests++;
    this.fe.stats.requestRate.hit(now);
    // What the Connection header names goes now, before rules and routing see the head (never Host or framing).
    if (!head.facts.endToEnd) head.headers = withoutHopByHop(head.headers, head.facts.connection);
    const whole = this.buf;
    const reqWalker = new BodyWalker(framing);
    let n: number;
    try {
      n = reqWalker.feed(whole, end);
    } catch {
      return this.reject(400, 'PR', 'invalid chunked body');
    }
    // Bytes after this request's head and body belong to the next (pipelined) request.
    this.buf = end + n === whole.length ? EMPTY : whole.subarray(end + n);
    this.scanned = 0;
    const conn = head.facts.connection;
    const x: Exchange = {
      head,
      start: this.reqStart,
      Tq: now - this.reqStart,
      Tw: -1,
      Tc: -1,
      Tr: -1,
      keepAlive: head.version === 11 ? !conn.includes('close') : conn.includes('keep-alive'),
      reqWalker,
      bodyStart: n === 0 ? EMPTY : whole.subarray(end, end + n),
      reused: false,
      retries: 0,
      bytesToServer: 0,
      respStarted: false,
      decodeChunked: false,
      serverReusable: false,
      bytesOut: 0,
      finished: false,
      phase: 'Q',
      abort: () => this.abortExchange(x),
      activeSlot: -1,
      // Every field from the start: one object shape for every exchange keeps property access fast.
      backend: undefined,
      server: undefined,
      conn: undefined,
      respWalker: undefined,
      status: undefined,
      upgrade: undefined,
      cookieHeld: undefined,
      pendingHead: undefined,
      rawHead: undefined,
      rawResponse: false,
      rbuf: EMPTY,
      sentAt: 0,
      pacer: undefined,
    };
    // WebSocket (RFC 6455) is tunnelled after the server's 101; other upgrades (h2c) are ignored, as HAProxy
    // does: the request is served as plain HTTP/1.1.
    const upgrade = head.facts.upgrade;
    if (upgrade && conn.includes('upgrade') && /^websocket$/i.test(upgrade.trim()) && head.version === 11) x.upgrade = upgrade;
    this.x = x;
    // Body bytes must wait until a server connection is there; bytes after a bodiless request are the next
    // (pipelined) request and are held by onData.
    if (!reqWalker.done) this.sock.pause();
    const rules = this.fe.def.rules;
    // On a TLS bind a client's own X-Forwarded-Proto is replaced: then the head is rebuilt.
    if (rules.empty && !x.upgrade && head.version === 11 && head.facts.endToEnd && !(this.tls && head.facts.forwardedProto)) {
      x.rawHead = whole.subarray(0, end);
    }
    let backendName = this.fe.def.backend;
    if (!rules.empty) {
      const input = this.ruleInput(x);
      const verdict = rules.request(input);
      if (verdict.kind === 'deny') {
        this.fe.stats.deniedReq++;
        return this.respond(x, verdict.status, 'PR');
      }
      if (verdict.kind === 'redirect') return this.respond(x, verdict.code, 'LR', { body: '', headers: [['location', verdict.location]] });
      backendName = rules.backend(input) ?? backendName;
    }
    const be = this.ctx.backend(backendName);
    if (!be) return this.respond(x, 503, 'SC');
    this.dispatch(x, be, 0, now);
  }

  /** Choose a server (waiting in the queue if all are full), then connect and send. */
  private dispatch(x: Exchange, be: BackendRuntime, hops: number, now = Date.now()): void {
    x.backend = be;
    const qStart = now;
    const cookie = be.def.cookie;
    let sticky: ServerRuntime | undefined;
    if (cookie) {
      const wanted = requestedServer(x.head.headers, cookie);
      sticky = wanted !== undefined ? be.takeSticky(wanted) : undefined;
      x.cookieHeld = sticky !== undefined;
      rewriteRequestCookies(x.head.headers, cookie);
      x.rawHead = undefined; // the cookie header may have changed
    }
    const ctx: PickContext = { clientIp: this.client, path: x.head.uri };
    // The common case picks at once, without a promise; only a full backend waits in the queue.
    const picked = sticky ? { server: sticky } : be.tryAcquire(ctx, undefined, now);
    if (picked !== undefined) return this.acquired(x, be, hops, ctx, picked, qStart, now);
    void be.acquire(ctx).then((got) => this.guard(() => this.acquired(x, be, hops, ctx, got, qStart)));
  }

  private acquired(x: Exchange, be: BackendRuntime, hops: number, ctx: PickContext, got: Acquired, qStart: number, now = Date.now()): void {
    if (x.finished) {
      if ('server' in got) be.release(got.server);
      return;
    }
    x.Tw = now - qStart;
    if ('error' in got) {
      if (got.error === 'queue-timeout') return this.respond(x, 503, 'sQ');
      if (got.error === 'aborted') return this.respond(x, 503, 'KQ');
      return this.sorry(x, be, hops);
    }
    x.phase = 'C';
    const server = got.server;
    const idle = server.takeIdle();
    if (idle) {
      x.server = server;
      server.sessions.add(x);
      x.Tc = 0;
      x.reused = true;
      x.conn = idle;
      return this.send(x, now);
    }
    void this.connectWithRetries(x, be, ctx, server).catch((err) => this.internalError(err));
  }

  /**
   * Connect to `server`; on failure retry (after HAProxy's turn-around delay of min(timeout connect, 1s), so a
   * restarting server is not hammered), and on the last retry redispatch to another server when allowed.
   */
  private async connectWithRetries(x: Exchange, be: BackendRuntime, ctx: PickContext, first: ServerRuntime): Promise<void> {
    const tried = new Set<ServerRuntime>();
    const cStart = Date.now();
    let server = first;
    let timedOut = false;
    for (;;) {
      x.server = server;
      server.sessions.add(x);
      const idle = server.takeIdle();
      let conn: Socket | undefined = idle;
      if (!conn) {
        try {
          conn = await server.connect(be.def.timeouts.connect);
        } catch (err) {
          server.failedConns++;
          timedOut = err instanceof ConnectTimeout;
        }
      }
      if (x.finished) {
        conn?.destroy();
        return;
      }
      if (conn) {
        x.Tc = Date.now() - cStart;
        x.reused = idle !== undefined;
        x.conn = conn;
        return this.send(x);
      }
      server.sessions.delete(x);
      if (x.retries >= be.def.retries) {
        be.release(server);
        x.server = undefined;
        be.errors++;
        return this.respond(x, 503, timedOut ? 'sC' : 'SC');
      }
      x.retries++;
      tried.add(server);
      const redispatch = be.def.redispatch && x.retries === be.def.retries;
      if (!redispatch && server.usable) {
        await retryDelay(be.def.timeouts.connect);
        if (x.finished) return; // complete() released the server this exchange still held
      }
      if (redispatch || !server.usable) {
        // Redispatch, or the server went away while we retried: pick again rather than hammer it.
        be.release(server);
        x.server = undefined; // released: complete() must not release it again
        const next = await be.acquire(ctx, redispatch ? (s) => !tried.has(s) : undefined);
        if (x.finished) {
          if ('server' in next) be.release(next.server);
          return;
        }
        if ('error' in next) return this.respond(x, 503, 'SC');
        server = next.server;
      }
    }
  }

  /**
   * After a 101: raw bytes both ways until either side closes or `timeout tunnel` passes idle. The tunnel counts
   * as a session on its server, so it drains like a TCP session and is cut at a removed server's grace end.
   */
  private startTunnel(x: Exchange, conn: Socket, rh: { status: number }, head: Buffer, rest: Buffer, sentAt: number): void {
    x.Tr = Date.now() - sentAt;
    x.status = rh.status;
    x.respStarted = true;
    x.phase = 'D';
    x.keepAlive = false;
    x.serverReusable = false;
    this.countResponse(x, 101, true);
    this.state = 'tunnel';
    const out = rest.length ? Buffer.concat([head, rest]) : head;
    x.bytesOut += out.length;
    this.fe.stats.bytesOut += out.length;
    this.sock.write(out);
    const idle = x.backend!.def.timeouts.tunnel;
    const end = () => {
      if (x.finished) return;
      this.state = 'busy';
      this.complete(x, '--');
    };
    const pacer = new Pacer(conn, this.sock, () => !x.finished);
    setConnHandler(conn, {
      data: (c) => {
        x.bytesOut += c.length;
        this.fe.stats.bytesOut += c.length;
        x.server!.bytesOut += c.length;
        pacer.wrote(this.sock.write(c), c.length);
        return this.sock.writableLength === 0;
      },
      end,
      timeout: () => this.kill(x, 'sD'),
    });
    setSocketTimeout(conn, idle);
    this.sock.setTimeout(idle);
    this.sock.resume();
    conn.resume();
  }

  /** What routing and header rules see; header actions edit the request's own header list. */
  private ruleInput(x: Exchange): RuleInput {
    return { method: x.head.method, uri: x.head.uri, headers: x.head.headers, src: this.client, dstPort: this.sock.localPort ?? 0, scheme: this.tls ? 'https' : 'http' };
  }

  private requestHead(x: Exchange): Buffer {
    if (x.rawHead) {
      // The head as received, with our X-Forwarded-* lines (if any) before its blank line.
      if (!this.fe.def.forwardfor) return this.tls ? Buffer.concat([x.rawHead.subarray(0, x.rawHead.length - 2), PROTO_HTTPS]) : x.rawHead;
      const added = this.forwardedLines(x);
      return Buffer.concat([x.rawHead.subarray(0, x.rawHead.length - 2), Buffer.from(added.join('\r\n') + '\r\n\r\n', 'latin1')]);
    }
    const h = x.head;
    // HTTP/1.0 stays HTTP/1.0 (a server may answer a 1.1 request without Host with 400), asking to keep the
    // connection as HAProxy does.
    const lines = [`${h.method} ${h.uri} HTTP/1.${h.version === 11 ? 1 : 0}`];
    for (const [n, v] of h.headers) {
      // The body goes out by the proxy's framing, written below: a length or coding in the list (the client's,
      // or a rule's) must not tell the server otherwise.
      if (isFramingHeader(n)) continue;
      // On a TLS bind the proxy says the scheme itself: a client's own X-Forwarded-Proto is not trusted.
      if (!(this.tls && n.toLowerCase() === 'x-forwarded-proto')) lines.push(`${n}: ${v}`);
    }
    const framing = x.reqWalker.framing;
    lines.push(...framingLines(framing));
    // A request that said `Content-Length: 0` keeps saying it (some servers want a length on every POST).
    if (framing.kind === 'none' && h.facts.contentLength.length) lines.push('content-length: 0');
    if (x.upgrade) lines.push('connection: upgrade', `upgrade: ${x.upgrade}`);
    else if (h.version === 10) lines.push('connection: keep-alive');
    lines.push(...this.forwardedLines(x));
    return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  }

  /** X-Forwarded-Proto on TLS binds; X-Forwarded-For/-Proto/-Host/-Port with `forwardfor`. */
  private forwardedLines(x: Exchange): string[] {
    const lines: string[] = [];
    if (this.tls) lines.push('x-forwarded-proto: https');
    if (this.fe.def.forwardfor) {
      const type = isIPv6(this.client) ? 'ipv6' : 'ipv4';
      if (!exceptList(this.fe.def).check(this.client, type)) lines.push(`x-forwarded-for: ${this.client}`);
      if (!this.tls) lines.push('x-forwarded-proto: http');
      const host = headerValues(x.head.headers, 'host')[0];
      if (host !== undefined) lines.push(`x-forwarded-host: ${host}`);
      lines.push(`x-forwarded-port: ${this.sock.localPort ?? ''}`);
    }
    return lines;
  }

  /** Events of the server connection the current exchange uses: one handler object per session. */
  private readonly serverEvents: ConnHandler = {
    data: (c, conn) => {
      const x = this.x;
      if (!x || x.finished || x.conn !== conn) return true;
      try {
        this.onServerData(x, conn, c);
      } catch (err) {
        this.internalError(err);
      }
      // The chunk is free unless a write of it is still queued or an incomplete head keeps it.
      return this.sock.writableLength === 0 && x.rbuf.buffer !== c.buffer;
    },
    end: (conn) => {
      if (this.x) this.serverClosed(this.x, conn);
    },
    timeout: (conn) => {
      const x = this.x;
      if (!x || x.conn !== conn || x.finished) return;
      if (!x.respStarted) this.serverFailed(x, 504, 'sH');
      else this.kill(x, 'sD');
    },
  };

  /** Bytes from the server: the response head (parsed once complete), then the body. */
  private onServerData(x: Exchange, conn: Socket, c: Buffer): void {
    x.server!.bytesOut += c.length;
    x.backend!.bytesOut += c.length;
    const now = Date.now();
    if (x.respStarted) return this.forwardResponseBody(x, c, 0, now);
    let scanned = x.rbuf.length;
    x.rbuf = scanned ? Buffer.concat([x.rbuf, c]) : c;
    for (;;) {
      const end = headEnd(x.rbuf, scanned);
      if (end < 0) {
        if (x.rbuf.length > MAX_RESPONSE_HEAD) return this.serverFailed(x, 502, 'PH');
        return;
      }
      let rh;
      try {
        rh = parseResponseHead(x.rbuf, end);
      } catch {
        x.server!.failedResp++;
        return this.serverFailed(x, 502, 'PH');
      }
      if (rh.status >= 100 && rh.status < 200) {
        // Interim responses (100 Continue) go to HTTP/1.1 clients as they are; 101 upgrades are not supported.
        if (rh.status === 101) {
          if (!x.upgrade) return this.serverFailed(x, 502, 'PH');
          return this.startTunnel(x, conn, rh, x.rbuf.subarray(0, end), x.rbuf.subarray(end), x.sentAt);
        }
        if (x.head.version === 11) this.sock.write(x.rbuf.subarray(0, end));
        x.rbuf = x.rbuf.subarray(end);
        scanned = 0;
        continue;
      }
      x.Tr = now - x.sentAt;
      x.status = rh.status;
      x.phase = 'D';
      let framing: Framing;
      try {
        framing = responseFraming(x.head.method, rh);
      } catch {
        x.server!.failedResp++;
        return this.serverFailed(x, 502, 'PH');
      }
      const srvConn = rh.facts.connection;
      x.serverReusable = framing.kind !== 'close' && !srvConn.includes('close') && (rh.version === 11 || srvConn.includes('keep-alive'));
      x.decodeChunked = framing.kind === 'chunked' && x.head.version === 10;
      if (framing.kind === 'close' || x.decodeChunked) x.keepAlive = false;
      if (!rh.facts.endToEnd) rh.headers = withoutHopByHop(rh.headers, srvConn);
      const cookie = x.backend!.def.cookie;
      const rules = this.fe.def.rules;
      if (cookie) rewriteResponseCookies(rh.headers, cookie, x.server!.name, x.cookieHeld === true);
      if (!rules.empty) rules.response(rh.headers, this.ruleInput(x));
      else if (!cookie && rh.version === 11 && x.head.version === 11 && rh.facts.endToEnd) x.rawResponse = true;
      x.respWalker = new BodyWalker(framing);
      x.respStarted = true;
      this.countResponse(x, rh.status, true);
      const rbuf = x.rbuf;
      x.rbuf = EMPTY;
      x.pendingHead = rh;
      return this.forwardResponseBody(x, rbuf, end, now);
    }
  }

  private send(x: Exchange, now = Date.now()): void {
    const conn = x.conn!;
    x.sentAt = now;
    x.phase = 'H';
    x.rbuf = EMPTY;
    setConnHandler(conn, this.serverEvents);
    setSocketTimeout(conn, x.backend!.def.timeouts.server);
    const head = this.requestHead(x);
    const first = x.bodyStart.length ? join(head, x.bodyStart) : head;
    x.bytesToServer = x.bodyStart.length;
    x.server!.bytesIn += first.length;
    x.backend!.bytesIn += first.length;
    conn.write(first);
    conn.resume();
    if (!x.reqWalker.done) {
      // Stream the rest of the body as it comes; `timeout client` while waiting for it.
      this.sock.setTimeout(this.fe.def.timeouts.client);
      this.sock.resume();
    }
  }

  /** The response head as the client gets it: hop-by-hop headers dropped, framing and connection set by us. */
  private responseHead(x: Exchange, rh: ResponseHead, connection: 'close' | 'keep-alive' | undefined): Buffer {
    const lines = [`HTTP/1.${x.head.version === 11 ? 1 : 0} ${rh.status} ${rh.reason}`];
    const framing = x.respWalker!.framing;
    // A response without a body (HEAD, 204, 304) keeps the length it states: it describes the resource. Any other
    // says the framing the proxy forwards by, and only that.
    const own = framing.kind !== 'none';
    for (const [n, v] of rh.headers) if (!(own && isFramingHeader(n))) lines.push(`${n}: ${v}`);
    if (!x.decodeChunked) lines.push(...framingLines(framing));
    if (connection) lines.push(`connection: ${connection}`);
    return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  }

  /** Count a response by class on the frontend, its backend, and the server when the server sent it. */
  private countResponse(x: Exchange, status: number, fromServer: boolean): void {
    this.fe.stats.countStatus(status);
    x.backend?.statuses.count(status);
    if (fromServer) x.server?.statuses.count(status);
  }

  private forwardRequestBody(x: Exchange, chunk: Buffer): void {
    let n: number;
    try {
      n = x.reqWalker.feed(chunk);
    } catch {
      return this.kill(x, 'PD');
    }
    const part = n === chunk.length ? chunk : chunk.subarray(0, n);
    if (n < chunk.length) this.buf = chunk.subarray(n);
    x.bytesToServer += part.length;
    x.server!.bytesIn += part.length;
    x.backend!.bytesIn += part.length;
    const conn = x.conn!;
    if (!conn.write(part)) {
      this.sock.pause();
      conn.once('drain', () => {
        if (!x.finished && !x.reqWalker.done) this.sock.resume();
      });
    }
    if (x.reqWalker.done) {
      this.sock.setTimeout(0);
      this.sock.pause();
    }
  }

  /**
   * Response bytes from `from` on in `chunk`. While the head is pending, `chunk[0, from)` is the head as the
   * server sent it: forwarded as it is when nothing in it changes, so head and body go out as one slice.
   */
  private forwardResponseBody(x: Exchange, chunk: Buffer, from: number, now = Date.now()): void {
    const walker = x.respWalker!;
    const decoded: Buffer[] | undefined = x.decodeChunked ? [] : undefined;
    let n = 0;
    try {
      n = walker.feed(chunk, from, decoded);
    } catch (err) {
      if (err instanceof FramingError) return this.kill(x, 'SD');
      throw err;
    }
    if (from + n < chunk.length) x.serverReusable = false; // extra bytes after the response: do not trust this connection
    let data: Buffer;
    if (x.pendingHead) {
      const rh = x.pendingHead;
      x.pendingHead = undefined;
      if (walker.done && !x.reqWalker.done) x.keepAlive = false;
      const connection = !x.keepAlive || this.lastExchange() ? 'close' : x.head.version === 10 ? 'keep-alive' : undefined;
      // One write (one syscall) for head and body when both are here.
      if (connection === undefined && x.rawResponse && !decoded) data = from + n === chunk.length ? chunk : chunk.subarray(0, from + n);
      else data = Buffer.concat([this.responseHead(x, rh, connection), ...(decoded ?? [chunk.subarray(from, from + n)])]);
    } else if (decoded) data = decoded.length === 1 ? decoded[0]! : Buffer.concat(decoded);
    else data = from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n);
    let ok = true;
    if (data.length) {
      x.bytesOut += data.length;
      this.fe.stats.bytesOut += data.length;
      ok = this.sock.write(data);
    }
    if (walker.done) return this.complete(x, '--', now);
    const conn = x.conn!;
    x.pacer ??= new Pacer(conn, this.sock, () => !x.finished && x.conn === conn, {
      // While the client holds the body back, `timeout client` applies.
      blocked: () => this.sock.setTimeout(this.fe.def.timeouts.client),
      drained: () => this.sock.setTimeout(0),
    });
    x.pacer.wrote(ok, data.length);
  }

  private serverClosed(x: Exchange, conn: Socket): void {
    if (x.finished || x.conn !== conn) return;
    if (x.respStarted && x.respWalker?.kind === 'close') {
      x.serverReusable = false;
      return this.complete(x);
    }
    if (!x.respStarted) {
      // A reused keep-alive connection the server closed before answering: safe to replay only an idempotent
      // request whose bytes are all still in hand (no streamed body).
      if (x.reused && IDEMPOTENT.has(x.head.method) && x.reqWalker.done && x.bytesToServer === x.bodyStart.length) {
        x.conn = undefined;
        conn.destroy();
        void this.reconnect(x);
        return;
      }
      x.server!.failedResp++;
      return this.serverFailed(x, 502, 'SH');
    }
    this.kill(x, 'SD');
  }

  private async reconnect(x: Exchange): Promise<void> {
    const server = x.server!;
    const fresh = server.takeIdle();
    let conn = fresh;
    if (!conn) {
      try {
        conn = await server.connect(x.backend!.def.timeouts.connect);
      } catch {
        server.failedConns++;
      }
    }
    if (x.finished) {
      conn?.destroy();
      return;
    }
    if (!conn) return this.serverFailed(x, 503, 'SC');
    x.reused = fresh !== undefined;
    x.conn = conn;
    this.send(x);
  }

  /** The server failed before a response reached the client: answer with an error. */
  private serverFailed(x: Exchange, status: number, term: string): void {
    x.conn?.destroy();
    x.conn = undefined;
    x.backend!.errors++;
    if (x.respStarted) return this.kill(x, term);
    this.respond(x, status, term);
  }

  /** The backend has no usable server: its sorry rule, else 503. */
  private sorry(x: Exchange, be: BackendRuntime, hops: number): void {
    const rule = be.def.sorry;
    if (rule && 'backend' in rule && hops < 1) {
      const other = this.ctx.backend(rule.backend);
      if (other) return this.dispatch(x, other, hops + 1);
    }
    if (rule && 'redirect' in rule) return this.respond(x, 302, '--', { body: '', headers: [['location', rule.redirect]] });
    if (rule && 'response' in rule) {
      const status = rule.response.status ?? 503;
      return this.respond(x, status, status >= 500 ? 'SC' : '--', { body: rule.response.body ?? '', headers: [['content-type', 'text/plain']] });
    }
    this.respond(x, 503, 'SC');
  }

  /** Answer the exchange with a response the proxy writes itself. Errors close the connection. */
  private respond(x: Exchange, status: number, term: string, opts: { body?: string; headers?: [string, string][] } = {}): void {
    const keepAlive = x.keepAlive && status < 400 && x.reqWalker.done && !this.clientEnded;
    x.keepAlive = keepAlive;
    const res = buildResponse(status, { ...opts, keepAlive, http10: x.head.version === 10 });
    x.status = status;
    x.bytesOut += res.length;
    this.fe.stats.bytesOut += res.length;
    this.countResponse(x, status, false);
    if (status >= 500) this.fe.stats.errors++;
    this.sock.write(res);
    this.complete(x, term);
  }

  /** The exchange ended (normally, or with a response we wrote). */
  private complete(x: Exchange, term = '--', now = Date.now()): void {
    if (x.finished) return;
    x.finished = true;
    const conn = x.conn;
    if (x.server) {
      x.server.sessions.delete(x);
      if (conn) {
        if (x.serverReusable && x.reqWalker.done && term === '--') x.server.putIdle(conn);
        else conn.destroy();
      }
      x.backend!.release(x.server);
    } else conn?.destroy();
    this.log(x, term, now);
    this.x = undefined;
    // A client that closed its side after pipelining still gets an answer to each request it sent, as HAProxy does.
    if (!x.keepAlive || this.lastExchange() || this.state === 'closed') return this.close(true);
    this.state = 'idle';
    this.reqStart = now;
    if (this.sock.isPaused()) this.sock.resume();
    if (this.buf.length) {
      this.state = 'head';
      this.armHeadTimer();
      this.tryHead(now);
    } else this.armKeepAliveTimer();
  }

  /** The client has closed its side and sent no further request: this exchange is its last. */
  private lastExchange(): boolean {
    return this.clientEnded && this.buf.length === 0;
  }

  /** Cut the exchange and the client connection (after a response had started, or on abort). */
  private kill(x: Exchange, term: string): void {
    x.conn?.destroy();
    x.keepAlive = false;
    if (!x.finished) {
      x.serverReusable = false;
      this.complete(x, term);
    }
    this.close(false);
  }

  private abortExchange(x: Exchange): void {
    this.kill(x, `K${x.phase}`);
  }

  private log(x: Exchange, term: string, now: number): void {
    if (!this.ctx.accessLog.isLevelEnabled('info')) return; // do not build the record for nothing
    const h = x.head;
    logAccess(this.ctx.accessLog, {
      client: this.client,
      frontend: this.fe.def.name,
      backend: x.backend?.name ?? '<NOSRV>',
      server: x.server?.name ?? '<NOSRV>',
      timers: { Tq: x.Tq, Tw: x.Tw, Tc: x.Tc, Tr: x.Tr, Tt: now - x.start },
      status: x.status,
      bytesRead: x.bytesOut,
      termination: term,
      retries: x.retries,
      request: `${h.method} ${h.uri} HTTP/1.${h.version === 11 ? 1 : 0}`,
    });
  }

  /** A request we refuse before choosing a backend (400, 408, 431): answer, log, close. */
  private reject(status: 400 | 408 | 422 | 431 | 502, term: string, why: string): void {
    this.stopTimers();
    this.fe.stats.errors++;
    this.fe.stats.countStatus(status);
    const res = buildResponse(status, { keepAlive: false });
    this.sock.write(res);
    const now = Date.now();
    logAccess(this.ctx.accessLog, {
      client: this.client, frontend: this.fe.def.name, backend: this.fe.def.name, server: '<NOSRV>',
      timers: { Tq: -1, Tw: -1, Tc: -1, Tr: -1, Tt: now - this.reqStart }, status, bytesRead: res.length, termination: term, retries: 0,
      request: '<BADREQ>',
    });
    this.ctx.log.debug({ frontend: this.fe.def.name, client: this.client, status }, `bad request: ${why}`);
    this.close(true);
  }

  private headTimeout(): void {
    if (this.state === 'head' || (this.state === 'idle' && this.requests === 0)) {
      // Nothing at all on a fresh connection: HAProxy closes silently ("cR" without 408 only for empty keep-alive).
      this.reject(408, 'cR', 'timeout http-request');
    }
  }

  private keepAliveTimeout(): void {
    if (this.state === 'idle') this.close(true);
  }

  private onClientTimeout(): void {
    const x = this.x;
    if (x && !x.finished) this.kill(x, x.respStarted ? 'cD' : 'cD');
    else this.close(false);
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.state === 'tunnel' && this.x) {
      this.state = 'busy';
      return this.complete(this.x, '--');
    }
    if (this.state !== 'busy') this.close(true);
  }

  private onClientClose(): void {
    const x = this.x;
    if (x && !x.finished) {
      x.conn?.destroy();
      x.keepAlive = false;
      x.serverReusable = false;
      this.state = 'closed';
      this.complete(x, `C${x.phase === 'Q' ? 'Q' : x.phase === 'C' ? 'C' : x.phase}`);
    }
    this.close(false);
  }

  private close(graceful: boolean): void {
    if (this.state === 'closed') {
      // Already ending (the client's own close often follows ours): ending again would only make Node build an
      // ERR_STREAM_ALREADY_FINISHED, stack trace and all, which cost 5 % of the CPU under `Connection: close`.
      // The client's close can mark the session closed first (onClientClose): the timers still go now, or they
      // would keep the session in memory until they fire.
      this.stopTimers();
      if (!graceful && !this.sock.destroyed) this.sock.destroy();
      return;
    }
    this.state = 'closed';
    this.stopTimers();
    this.sock.setTimeout(0);
    if (graceful && !this.sock.destroyed) {
      this.sock.end();
      // Do not wait forever for the peer to close its side; once it has, drop the timer, which would otherwise
      // keep this session and its socket in memory for those 5 s (thousands of them under `Connection: close`).
      const lingering = setTimeout(() => this.sock.destroy(), 5000).unref();
      this.sock.once('close', () => clearTimeout(lingering));
    } else this.sock.destroy();
    this.onClose();
  }

  /** Graceful stop: close the connection now when idle, or after the current exchange. */
  shutdown(): void {
    if (this.state === 'idle' || this.state === 'head') this.close(true);
    else this.clientEnded = true;
  }
}

/** Two buffers as one: a slice of the same memory when `b` directly follows `a` (head and body of one read). */
function join(a: Buffer, b: Buffer): Buffer {
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) return Buffer.from(a.buffer, a.byteOffset, a.length + b.length);
  return Buffer.concat([a, b]);
}

/** `buf` without the empty lines (CR LF) it starts with. */
function skipEmptyLines(buf: Buffer): Buffer {
  let i = 0;
  while (buf[i] === 0x0d && buf[i + 1] === 0x0a) i += 2;
  return i === 0 ? buf : buf.subarray(i);
}

/** A LF not preceded by CR at or after `from` (looking one byte back, in case the CR came with an earlier read). */
function hasBareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(10, from); i >= 0; i = buf.indexOf(10, i + 1)) if (i === 0 || buf[i - 1] !== 0x0d) return true;
  return false;
}
