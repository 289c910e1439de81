// Responses the proxy writes itself (errors, redirects, sorry pages, denials), and the counting of every response.
import { buildResponse } from '../../http/responses.js';
import type { Termination } from '../../observe/termination.js';
import type { Exchange, HttpConn } from './exchange.js';

/** Count a response by class on the frontend, its backend, and the server when the server sent it. */
export function countResponse(c: HttpConn, x: Exchange, status: number, fromServer: boolean): void {
  c.fe.stats.countStatus(status);
  x.backend?.statuses.count(status);
  if (fromServer) x.server?.statuses.count(status);
}

/** Answer the exchange with a response the proxy writes itself. Errors close the connection. */
export function respond(c: HttpConn, x: Exchange, status: number, term: Termination, opts: { body?: string; headers?: [string, string][] } = {}): void {
  const keepAlive = x.keepAlive && status < 400 && x.reqWalker.done && !c.clientEnded;
  x.keepAlive = keepAlive;
  const res = buildResponse(status, { ...opts, keepAlive, http10: x.head.version === 10 });
  x.status = status;
  x.bytesOut += res.length;
  c.fe.stats.bytesOut += res.length;
  countResponse(c, x, status, false);
  if (status >= 500) c.fe.stats.errors++;
  c.sock.write(res);
  c.complete(x, term);
}

/** The server failed before a response reached the client: answer with an error (or cut, if one had started). */
export function serverFailed(c: HttpConn, x: Exchange, status: number, term: Termination): void {
  x.conn?.destroy();
  x.conn = undefined;
  x.backend!.errors++;
  if (x.respStarted) return c.kill(x, term);
  respond(c, x, status, term);
}
