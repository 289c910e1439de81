// The access-log line of an exchange, and of a request refused before it had a backend.
import { logAccess } from '../../observe/access-log.js';
import type { Termination } from '../../observe/termination.js';
import type { Exchange, HttpConn } from './exchange.js';

export function logExchange(c: HttpConn, x: Exchange, term: Termination, now: number): void {
  if (!c.ctx.accessLog.isLevelEnabled('info')) return; // do not build the record for nothing
  const h = x.head;
  logAccess(c.ctx.accessLog, {
    client: c.client,
    frontend: c.fe.def.name,
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

/** A request refused before it had a backend: HAProxy logs the frontend as backend and `<BADREQ>`. */
export function logRejected(c: HttpConn, status: number, bytes: number, term: Termination, now: number): void {
  logAccess(c.ctx.accessLog, {
    client: c.client, frontend: c.fe.def.name, backend: c.fe.def.name, server: '<NOSRV>',
    timers: { Tq: -1, Tw: -1, Tc: -1, Tr: -1, Tt: now - c.reqStart }, status, bytesRead: bytes, termination: term, retries: 0,
    request: '<BADREQ>',
  });
}
