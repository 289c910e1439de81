// Connecting a session to a server, in one place for HTTP and TCP: HAProxy's `retries` and `option redispatch`.
// - A failed connect is retried on the same server after the turn-around delay, min(timeout connect, 1s), so a
//   restarting server is not hammered.
// - A server that became unusable during that delay (DOWN, MAINT, DRAIN, removed) is not retried: the session
//   picks again (HAProxy re-dispatches when the server it was assigned to is no longer usable).
// - With `redispatch`, the last retry goes to another server (one not tried yet).
// - When the retries are spent, the session ends with `SC` (refused or reset) or `sC` (`timeout connect`).
import type { Socket } from 'node:net';
import { ConnectTimeout } from '../../errors/index.js';
import type { PickContext } from '../balance/api.js';
import type { Termination } from '../observe/termination.js';
import type { BackendRuntime } from './backend.js';
import type { Abortable, ServerRuntime } from './server.js';

/** What the policy needs of a session (an HTTP exchange, a TCP session): it is what a server lists as running. */
export interface Connecting extends Abortable {
  /** the server this session holds a slot on; the session's end releases it (and the policy when it moves on) */
  server: ServerRuntime | undefined;
  /** connect retries so far (the access log's retries field) */
  retries: number;
  /** the session ended (client gone, aborted): whatever the policy obtains from now on is given back */
  readonly finished: boolean;
}

export type ConnectOutcome =
  /** connected to `session.server` (`reused`: a pooled keep-alive connection); `Tc` from the first attempt */
  | { conn: Socket; reused: boolean; Tc: number; term?: undefined }
  /** no connection: the retries are spent or nobody is left to pick; `session.server` is still held when set */
  | { conn?: undefined; term: Termination }
  /** the session ended while connecting: nothing to do */
  | undefined;

/** HAProxy's turn-around delay before a connect retry: min(timeout connect, 1s). */
export function retryDelay(connectTimeoutMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(connectTimeoutMs, 1000)));
}

/**
 * Connect `s` to `first` (a server it already holds a slot on), retrying and redispatching as the backend says.
 * `pooled`: a keep-alive connection from the server's idle pool will do (HTTP); TCP always opens its own.
 */
export async function connectWithRetries(s: Connecting, be: BackendRuntime, ctx: PickContext, first: ServerRuntime, pooled: boolean): Promise<ConnectOutcome> {
  const tried = new Set<ServerRuntime>();
  const cStart = Date.now();
  let server = first;
  let timedOut = false;
  for (;;) {
    s.server = server;
    server.sessions.add(s);
    const idle = pooled ? server.takeIdle() : undefined;
    let conn: Socket | undefined = idle;
    if (!conn) {
      try {
        conn = await server.connect(be.def.timeouts.connect);
      } catch (err) {
        server.failedConns++;
        timedOut = err instanceof ConnectTimeout;
      }
    }
    if (s.finished) {
      conn?.destroy();
      return undefined;
    }
    if (conn) return { conn, reused: idle !== undefined, Tc: Date.now() - cStart };
    server.sessions.delete(s);
    if (s.retries >= be.def.retries) return { term: timedOut ? 'sC' : 'SC' };
    s.retries++;
    tried.add(server);
    const redispatch = be.def.redispatch && s.retries === be.def.retries;
    if (!redispatch && server.usable) {
      await retryDelay(be.def.timeouts.connect);
      if (s.finished) return undefined; // the session's end released the server it still held
    }
    if (redispatch || !server.usable) {
      // Redispatch, or the server went away while we waited: pick again rather than hammer it.
      be.release(server);
      s.server = undefined; // released: the session's end must not release it again
      const next = await be.acquire(ctx, redispatch ? (c) => !tried.has(c) : undefined);
      if (s.finished) {
        if ('server' in next) be.release(next.server);
        return undefined;
      }
      if ('error' in next) return { term: 'SC' };
      server = next.server;
    }
  }
}
