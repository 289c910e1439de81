// The response on its way to the client: the head (parsed once complete; interim 1xx passed on, 101 into a
// tunnel), then the body by its framing, with backpressure; and what a server's close or timeout means.
import type { Socket } from 'node:net';
import { BodyWalker, FramingError } from '../../http/framing.js';
import { headEnd, isFramingHeader, framingLines, parseResponseHead, responseFraming, withoutHopByHop, type Framing, type ResponseHead } from '../../http/head.js';
import { rewriteResponseCookies } from '../../http/cookie.js';
import { Pacer } from '../relay.js';
import { countResponse, serverFailed } from './answer.js';
import { EMPTY, lastExchange, ruleInput, type Exchange, type HttpConn } from './exchange.js';
import { send } from './forward.js';
import { startTunnel } from './tunnel.js';
import { capture } from './log.js';

const MAX_RESPONSE_HEAD = 64 * 1024;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Bytes from the server: the response head (parsed once complete), then the body. */
export function onServerData(c: HttpConn, x: Exchange, conn: Socket, chunk: Buffer): void {
  x.server!.bytesOut += chunk.length;
  x.backend!.bytesOut += chunk.length;
  const now = Date.now();
  if (x.respStarted) return forwardResponseBody(c, x, chunk, 0, now);
  let scanned = x.rbuf.length;
  x.rbuf = scanned ? Buffer.concat([x.rbuf, chunk]) : chunk;
  for (;;) {
    const end = headEnd(x.rbuf, scanned);
    if (end < 0) {
      if (x.rbuf.length > MAX_RESPONSE_HEAD) return serverFailed(c, x, 502, 'PH');
      return;
    }
    let rh;
    try {
      rh = parseResponseHead(x.rbuf, end);
    } catch {
      x.server!.failedResp++;
      return serverFailed(c, x, 502, 'PH');
    }
    if (rh.status >= 100 && rh.status < 200) {
      // Interim responses (100 Continue) go to HTTP/1.1 clients as they are; 101 upgrades are not supported.
      if (rh.status === 101) {
        if (!x.upgrade) return serverFailed(c, x, 502, 'PH');
        return startTunnel(c, x, conn, rh, x.rbuf.subarray(0, end), x.rbuf.subarray(end), x.sentAt);
      }
      if (x.head.version === 11) c.sock.write(x.rbuf.subarray(0, end));
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
      return serverFailed(c, x, 502, 'PH');
    }
    noteConnection(x, rh, framing);
    const caps = c.fe.def.log.captures.response;
    if (caps.length) x.resCaptures = capture(rh.headers, caps);
    if (!rh.facts.endToEnd) rh.headers = withoutHopByHop(rh.headers, rh.facts.connection);
    const cookie = x.backend!.def.cookie;
    const rules = c.fe.def.rules;
    const beRules = x.backend!.def.rules;
    // HAProxy's order: the backend's http-response rules, the frontend's, then the persistence cookie.
    if (!beRules.empty) beRules.response(rh.headers, ruleInput(c, x));
    if (!rules.empty) rules.response(rh.headers, ruleInput(c, x));
    if (cookie) rewriteResponseCookies(rh.headers, cookie, x.server!.name, x.cookieHeld === true, rh.status);
    if (rules.empty && beRules.empty && !cookie && rh.version === 11 && x.head.version === 11 && rh.facts.endToEnd) x.rawResponse = true;
    x.respWalker = new BodyWalker(framing);
    x.respStarted = true;
    countResponse(c, x, rh.status, true);
    const rbuf = x.rbuf;
    x.rbuf = EMPTY;
    x.pendingHead = rh;
    return forwardResponseBody(c, x, rbuf, end, now);
  }
}

/** What the response's framing and Connection header mean for both connections: reuse, dechunking, keep-alive. */
function noteConnection(x: Exchange, rh: ResponseHead, framing: Framing): void {
  const srvConn = rh.facts.connection;
  x.serverReusable = !x.closeServer && framing.kind !== 'close' && !srvConn.includes('close') && (rh.version === 11 || srvConn.includes('keep-alive'));
  x.decodeChunked = framing.kind === 'chunked' && x.head.version === 10;
  if (framing.kind === 'close' || x.decodeChunked) x.keepAlive = false;
}

/** The response head as the client gets it: hop-by-hop headers dropped, framing and connection set by us. */
function responseHead(x: Exchange, rh: ResponseHead, connection: 'close' | 'keep-alive' | undefined): Buffer {
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

/**
 * Response bytes from `from` on in `chunk`. While the head is pending, `chunk[0, from)` is the head as the
 * server sent it: forwarded as it is when nothing in it changes, so head and body go out as one slice.
 */
function forwardResponseBody(c: HttpConn, x: Exchange, chunk: Buffer, from: number, now: number): void {
  const walker = x.respWalker!;
  const decoded: Buffer[] | undefined = x.decodeChunked ? [] : undefined;
  let n = 0;
  try {
    n = walker.feed(chunk, from, decoded);
  } catch (err) {
    if (err instanceof FramingError) return c.kill(x, 'SD');
    throw err;
  }
  if (from + n < chunk.length) x.serverReusable = false; // extra bytes after the response: do not trust this connection
  let data: Buffer;
  if (x.pendingHead) {
    const rh = x.pendingHead;
    x.pendingHead = undefined;
    if (walker.done && !x.reqWalker.done) x.keepAlive = false;
    const connection = !x.keepAlive || lastExchange(c) ? 'close' : x.head.version === 10 ? 'keep-alive' : undefined;
    // One write (one syscall) for head and body when both are here.
    if (connection === undefined && x.rawResponse && !decoded) data = from + n === chunk.length ? chunk : chunk.subarray(0, from + n);
    else data = Buffer.concat([responseHead(x, rh, connection), ...(decoded ?? [chunk.subarray(from, from + n)])]);
  } else if (decoded) data = decoded.length === 1 ? decoded[0]! : Buffer.concat(decoded);
  else data = from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n);
  let ok = true;
  if (data.length) {
    x.bytesOut += data.length;
    c.fe.stats.bytesOut += data.length;
    ok = c.sock.write(data);
  }
  if (walker.done) return c.complete(x, '--', now);
  const conn = x.conn!;
  x.pacer ??= new Pacer(conn, c.sock, () => !x.finished && x.conn === conn, {
    // While the client holds the body back, `timeout client` applies.
    blocked: () => c.sock.setTimeout(c.fe.def.timeouts.client),
    drained: () => c.sock.setTimeout(0),
  });
  x.pacer.wrote(ok, data.length);
}

/** The server closed the connection of the current exchange. */
export function serverClosed(c: HttpConn, x: Exchange, conn: Socket): void {
  if (x.finished || x.conn !== conn) return;
  if (x.respStarted && x.respWalker?.kind === 'close') {
    x.serverReusable = false;
    return c.complete(x);
  }
  if (!x.respStarted) {
    // A reused keep-alive connection the server closed before answering: safe to replay only an idempotent
    // request whose bytes are all still in hand (no streamed body).
    if (x.reused && IDEMPOTENT.has(x.head.method) && x.reqWalker.done && x.bytesToServer === x.bodyStart.length) {
      x.conn = undefined;
      conn.destroy();
      void replay(c, x);
      return;
    }
    x.server!.failedResp++;
    return serverFailed(c, x, 502, 'SH');
  }
  c.kill(x, 'SD');
}

/** `timeout server` on the current exchange's connection. */
export function serverTimeout(c: HttpConn, x: Exchange, conn: Socket): void {
  if (x.conn !== conn || x.finished) return;
  if (!x.respStarted) serverFailed(c, x, 504, 'sH');
  else c.kill(x, 'sD');
}

/** Send the request again on another connection to the same server (a pooled one, else a new one). */
async function replay(c: HttpConn, x: Exchange): Promise<void> {
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
  if (!conn) return serverFailed(c, x, 503, 'SC');
  x.reused = fresh !== undefined;
  x.conn = conn;
  send(c, x);
}
