// Reading request heads off the client connection: accumulate until the blank line (within tune.bufsize), parse
// once, note what forwarding needs, and refuse what is malformed (400, 408, 431) before any backend sees it.
import { BodyWalker } from '../../http/framing.js';
import { headEnd, parseRequestHead, requestFraming, withoutHopByHop, type Framing, type RequestHead } from '../../http/head.js';
import { buildResponse } from '../../http/responses.js';
import { errorMessage, HeadError } from '../../../errors/index.js';
import type { Termination } from '../../observe/termination.js';
import { EMPTY, newExchange, type HttpConn } from './exchange.js';
import { isNullConnection, logAbandoned, logRejected } from './log.js';
import { route } from './route.js';

/** HAProxy's tune.bufsize: a request head must fit in it. */
export const MAX_HEAD = 16 * 1024;

/** Try to read a request head from `c.buf`; when one is complete, start its exchange. */
export function readHead(c: HttpConn, now = Date.now()): void {
  // Empty lines before a request line are ignored (RFC 9112 2.2); they would otherwise read as an empty head.
  if (c.buf[0] === 0x0d) c.buf = skipEmptyLines(c.buf);
  const end = headEnd(c.buf, c.scanned);
  if (end < 0) return incompleteHead(c);
  if (end > MAX_HEAD + 4) return reject(c, 431, 'PR', 'header block too large');
  let head: RequestHead;
  let framing: Framing;
  try {
    head = parseRequestHead(c.buf, end);
    framing = requestFraming(head);
  } catch (err) {
    return reject(c, err instanceof HeadError ? err.status : 400, 'PR', errorMessage(err));
  }
  // The head timer is left running: the session's headTimeout() ignores it outside the 'head' state.
  c.state = 'busy';
  c.requests++;
  c.fe.stats.requests++;
  c.fe.stats.requestRate.hit(now);
  // What the Connection header names goes now, before rules and routing see the head (never Host or framing).
  if (!head.facts.endToEnd) head.headers = withoutHopByHop(head.headers, head.facts.connection);
  const whole = c.buf;
  const reqWalker = new BodyWalker(framing);
  let n: number;
  try {
    n = reqWalker.feed(whole, end);
  } catch {
    return reject(c, 400, 'PR', 'invalid chunked body');
  }
  // Bytes after this request's head and body belong to the next (pipelined) request.
  c.buf = end + n === whole.length ? EMPTY : whole.subarray(end + n);
  c.scanned = 0;
  const conn = head.facts.connection;
  const keepAlive = head.version === 11 ? !conn.includes('close') : conn.includes('keep-alive');
  const x = newExchange(c, head, c.reqStart, now, keepAlive, reqWalker, n === 0 ? EMPTY : whole.subarray(end, end + n));
  x.headLen = end;
  // WebSocket (RFC 6455) is tunnelled after the server's 101; other upgrades (h2c) are ignored, as HAProxy
  // does: the request is served as plain HTTP/1.1.
  const upgrade = head.facts.upgrade;
  if (upgrade && conn.includes('upgrade') && /^websocket$/i.test(upgrade.trim()) && head.version === 11) x.upgrade = upgrade;
  c.x = x;
  // Body bytes must wait until a server connection is there; bytes after a bodiless request are the next
  // (pipelined) request and are held by the session.
  if (!reqWalker.done) c.sock.pause();
  // On a TLS bind a client's own X-Forwarded-Proto is replaced: then the head is rebuilt.
  if (c.fe.def.rules.empty && !x.upgrade && head.version === 11 && head.facts.endToEnd && !(c.tls && head.facts.forwardedProto)) {
    x.rawHead = whole.subarray(0, end);
  }
  route(c, x, now);
}

/** No blank line yet: wait for more (from where the scan stopped), or refuse a head that cannot complete. */
function incompleteHead(c: HttpConn): void {
  const from = c.scanned;
  c.scanned = c.buf.length;
  if (c.buf.length > MAX_HEAD) reject(c, 431, 'PR', 'header block too large');
  // A head never completes with bare LF line ends: refuse it now rather than at `timeout http-request`.
  else if (hasBareLf(c.buf, from)) reject(c, 400, 'PR', 'bare LF line end');
  else if (c.clientEnded) {
    logAbandoned(c);
    c.close(true);
  }
  else if (c.buf.length) c.state = 'head';
}

/** A request we refuse before choosing a backend (400, 408, 431): answer, log, close. */
export function reject(c: HttpConn, status: number, term: Termination, why: string): void {
  c.stopTimers();
  c.fe.stats.errors++;
  c.fe.stats.countStatus(status);
  const res = buildResponse(status, { keepAlive: false });
  const silent = isNullConnection(c);
  c.sock.write(res);
  if (!silent) logRejected(c, status, res.length, term, Date.now());
  c.ctx.log.debug({ frontend: c.fe.def.name, client: c.client, status }, `bad request: ${why}`);
  c.close(true);
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
