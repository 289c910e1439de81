// The access log of HTTP sessions: what a request carries for it from the start (request counter, captured
// request headers, unique id), and the line of an exchange, of a request refused before it had a backend, and of
// a connection the client left without a complete request.
import { accessLogWanted, logAccess } from '../../observe/access-log.js';
import { nextRequestCounter, type AccessRecord } from '../../observe/access-record.js';
import { renderLogFormat } from '../../observe/log-format.js';
import type { Termination } from '../../observe/termination.js';
import type { Capture } from '../../model/log-config.js';
import type { Header } from '../../http/head.js';
import type { Exchange, HttpConn } from './exchange.js';

const NOSRV = '<NOSRV>';
const out = (c: HttpConn) => ({ json: c.ctx.accessLog, sinks: c.ctx.sinks });

/** A request is in: its number (%rt), its captured headers (before any rule changes them), its unique id. */
export function requestArrived(c: HttpConn, x: Exchange, now: number): void {
  const def = c.fe.def.log;
  x.counter = nextRequestCounter();
  if (def.captures.request.length) x.reqCaptures = capture(x.head.headers, def.captures.request);
  if (def.uniqueId) x.uniqueId = renderLogFormat(def.uniqueId.format, exchangeRecord(c, x, '--', now));
}

/** `capture request/response header NAME len N`: the last occurrence of each, cut to its length ('' if absent). */
export function capture(headers: Header[], caps: Capture[]): string[] {
  const values: string[] = [];
  for (const cap of caps) {
    let v = '';
    for (const [n, value] of headers) if (n.length === cap.name.length && n.toLowerCase() === cap.name) v = value;
    values.push(v.length > cap.len ? v.slice(0, cap.len) : v);
  }
  return values;
}

export function logExchange(c: HttpConn, x: Exchange, term: Termination, now: number): void {
  if (!accessLogWanted(out(c), c.fe.def.log)) return; // do not build the record for nothing
  logAccess(out(c), c.fe.def.log, exchangeRecord(c, x, term, now));
}

/** What every line of a connection says about it: the client's and the frontend's side. */
function connectionFields(c: HttpConn): Pick<AccessRecord, 'client' | 'clientPort' | 'frontendIp' | 'frontendPort' | 'frontend' | 'tls'> {
  return { client: c.client, clientPort: c.sock.remotePort ?? 0, frontendIp: localAddress(c), frontendPort: c.sock.localPort ?? 0, frontend: c.fe.def.name, tls: c.tls };
}

function exchangeRecord(c: HttpConn, x: Exchange, term: Termination, now: number): AccessRecord {
  const h = x.head;
  const be = x.backend;
  const srv = x.server;
  const cookie = be?.def.cookie;
  const version = h.version === 11 ? 'HTTP/1.1' : 'HTTP/1.0';
  return {
    accepted: c.idleSince,
    requestAt: x.start,
    now,
    ...connectionFields(c),
    backend: be?.name ?? NOSRV,
    server: srv?.name ?? NOSRV,
    serverIp: srv ? srv.addr : '',
    serverPort: srv ? srv.port : 0,
    timers: { Tq: x.Tq, Tw: x.Tw, Tc: x.Tc, Tr: x.Tr, Tt: now - x.start },
    idle: x.start - c.idleSince,
    status: x.status,
    bytesRead: x.bytesOut,
    bytesUploaded: x.headLen + Math.max(x.bytesToServer, x.bodyStart.length),
    termination: term,
    // Persistence: a valid cookie named the server (V), or none came and one was inserted (N, I).
    cookie: !cookie ? '--' : x.cookieHeld ? 'V-' : srv ? 'NI' : 'N-',
    actconn: c.ctx.conns.current,
    feconn: c.fe.stats.current,
    beconn: be ? be.active : 0,
    srvconn: srv ? srv.active : 0,
    retries: x.retries,
    srvQueue: 0,
    backendQueue: x.queuePos,
    reqCaptures: x.reqCaptures,
    resCaptures: x.resCaptures,
    request: `${h.method} ${h.uri} ${version}`,
    method: h.method,
    uri: h.uri,
    version,
    uniqueId: x.uniqueId,
    counter: x.counter,
  };
}

/** A request refused before it had a backend: HAProxy logs the frontend as backend and `<BADREQ>`. */
export function logRejected(c: HttpConn, status: number, bytes: number, term: Termination, now: number): void {
  const def = c.fe.def.log;
  if (!accessLogWanted(out(c), def)) return;
  const caps = def.captures;
  logAccess(out(c), def, {
    accepted: c.idleSince,
    requestAt: c.reqStart,
    now,
    ...connectionFields(c),
    backend: c.fe.def.name,
    server: NOSRV,
    serverIp: '',
    serverPort: 0,
    timers: { Tq: -1, Tw: -1, Tc: -1, Tr: -1, Tt: now - c.reqStart },
    idle: -1,
    status,
    bytesRead: bytes,
    bytesUploaded: c.buf.length,
    termination: term,
    cookie: '--',
    actconn: c.ctx.conns.current,
    feconn: c.fe.stats.current,
    beconn: 0,
    srvconn: 0,
    retries: 0,
    srvQueue: 0,
    backendQueue: 0,
    // HAProxy writes the braces of configured captures, empty, for a request it could not read
    reqCaptures: caps.request.length ? caps.request.map(() => '') : undefined,
    resCaptures: caps.response.length ? caps.response.map(() => '') : undefined,
    request: '<BADREQ>',
    counter: nextRequestCounter(),
  });
}

/**
 * The client closed the connection without a complete request (`CR`, logged with 400 as HAProxy does): a
 * partial head, or nothing at all on a new connection, which `dontlognull` keeps out of the log. A keep-alive
 * connection closed between requests is not logged.
 */
export function logAbandoned(c: HttpConn): void {
  const partial = c.state === 'head' && c.buf.length > 0;
  const nothing = c.state === 'idle' && c.requests === 0;
  if (partial || (nothing && !c.fe.def.log.dontlognull)) logRejected(c, 400, 0, 'CR', Date.now());
}

/** `dontlognull`: a connection that sent nothing is not logged (a timeout on it, say). */
export function isNullConnection(c: HttpConn): boolean {
  return c.fe.def.log.dontlognull && c.requests === 0 && c.buf.length === 0;
}

function localAddress(c: HttpConn): string {
  const a = c.sock.localAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
