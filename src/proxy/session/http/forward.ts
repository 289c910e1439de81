// The request on its way to the server: the head as the server gets it (as received when nothing changes, else
// rebuilt with X-Forwarded-* and our framing), then the body as it streams in.
import { BlockList, isIPv6 } from 'node:net';
import { setConnHandler, setSocketTimeout } from '../../engine/server.js';
import { framingLines, headerValues, isFramingHeader } from '../../http/head.js';
import type { FrontendDef } from '../../model/defs.js';
import { EMPTY, type Exchange, type HttpConn } from './exchange.js';

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

/** Send the request head (and the body bytes that came with it) on `x.conn`, and read the response from now on. */
export function send(c: HttpConn, x: Exchange, now = Date.now()): void {
  const conn = x.conn!;
  // One request counted per exchange, not per replay on a fresh connection.
  if (x.sentAt === 0) x.server!.requests++;
  x.sentAt = now;
  x.phase = 'H';
  x.rbuf = EMPTY;
  setConnHandler(conn, c.serverEvents);
  setSocketTimeout(conn, x.backend!.def.timeouts.server);
  const head = requestHead(c, x);
  const first = x.bodyStart.length ? join(head, x.bodyStart) : head;
  x.bytesToServer = x.bodyStart.length;
  x.server!.bytesIn += first.length;
  x.backend!.bytesIn += first.length;
  conn.write(first);
  conn.resume();
  if (!x.reqWalker.done) {
    // Stream the rest of the body as it comes; `timeout client` while waiting for it.
    c.sock.setTimeout(c.fe.def.timeouts.client);
    c.sock.resume();
  }
}

function requestHead(c: HttpConn, x: Exchange): Buffer {
  if (x.rawHead) {
    // The head as received, with our X-Forwarded-* lines (if any) before its blank line.
    const uid = x.uniqueId !== undefined && c.fe.def.log.uniqueId?.header !== undefined;
    if (!c.fe.def.forwardfor && !uid) return c.tls ? Buffer.concat([x.rawHead.subarray(0, x.rawHead.length - 2), PROTO_HTTPS]) : x.rawHead;
    const added = forwardedLines(c, x);
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
    if (!(c.tls && n.toLowerCase() === 'x-forwarded-proto')) lines.push(`${n}: ${v}`);
  }
  const framing = x.reqWalker.framing;
  lines.push(...framingLines(framing));
  // A request that said `Content-Length: 0` keeps saying it (some servers want a length on every POST).
  if (framing.kind === 'none' && h.facts.contentLength.length) lines.push('content-length: 0');
  if (x.upgrade) lines.push('connection: upgrade', `upgrade: ${x.upgrade}`);
  else if (x.closeServer) lines.push('connection: close');
  else if (h.version === 10) lines.push('connection: keep-alive');
  lines.push(...forwardedLines(c, x));
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** X-Forwarded-Proto on TLS binds; X-Forwarded-For/-Proto/-Host/-Port with `forwardfor`. */
function forwardedLines(c: HttpConn, x: Exchange): string[] {
  const lines: string[] = [];
  if (c.tls) lines.push('x-forwarded-proto: https');
  if (c.fe.def.forwardfor) {
    const type = isIPv6(c.client) ? 'ipv6' : 'ipv4';
    if (!exceptList(c.fe.def).check(c.client, type)) lines.push(`x-forwarded-for: ${c.client}`);
    if (!c.tls) lines.push('x-forwarded-proto: http');
    const host = headerValues(x.head.headers, 'host')[0];
    if (host !== undefined) lines.push(`x-forwarded-host: ${host}`);
    lines.push(`x-forwarded-port: ${c.sock.localPort ?? ''}`);
  }
  // unique-id-header: added as HAProxy adds it (after the client's own, if it sent one)
  const uid = c.fe.def.log.uniqueId?.header;
  if (uid && x.uniqueId !== undefined) lines.push(`${uid}: ${x.uniqueId}`);
  return lines;
}

/** Request body bytes read after the head: on to the server, by the request's framing. */
export function forwardRequestBody(c: HttpConn, x: Exchange, chunk: Buffer): void {
  let n: number;
  try {
    n = x.reqWalker.feed(chunk);
  } catch {
    return c.kill(x, 'PD');
  }
  const part = n === chunk.length ? chunk : chunk.subarray(0, n);
  if (n < chunk.length) c.buf = chunk.subarray(n);
  x.bytesToServer += part.length;
  x.server!.bytesIn += part.length;
  x.backend!.bytesIn += part.length;
  const conn = x.conn!;
  if (!conn.write(part)) {
    c.sock.pause();
    conn.once('drain', () => {
      if (!x.finished && !x.reqWalker.done) c.sock.resume();
    });
  }
  if (x.reqWalker.done) {
    c.sock.setTimeout(0);
    c.sock.pause();
  }
}

/** Two buffers as one: a slice of the same memory when `b` directly follows `a` (head and body of one read). */
function join(a: Buffer, b: Buffer): Buffer {
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) return Buffer.from(a.buffer, a.byteOffset, a.length + b.length);
  return Buffer.concat([a, b]);
}
