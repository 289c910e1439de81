// From a parsed request to a server connection: routing rules, cookie persistence, the pick (or the queue),
// the sorry rule when nobody is there, and the connect with HAProxy's retries and redispatch (engine/connect.ts).
import type { PickContext } from '../../balance/api.js';
import type { Acquired, BackendRuntime } from '../../engine/backend.js';
import { connectWithRetries } from '../../engine/connect.js';
import type { ServerRuntime } from '../../engine/server.js';
import { requestedServer, rewriteRequestCookies } from '../../http/cookie.js';
import { respond } from './answer.js';
import { ruleInput, type Exchange, type HttpConn } from './exchange.js';
import { send } from './forward.js';
import { requestArrived } from './log.js';

/** Apply the frontend's request rules (deny, redirect, use_backend), then the backend's, then dispatch to it. */
export function route(c: HttpConn, x: Exchange, now: number): void {
  requestArrived(c, x, now);
  const rules = c.fe.def.rules;
  let backendName = c.fe.def.backend;
  // `option httpclose` on the frontend: the client connection closes after this response (`Connection: close`).
  if (c.fe.def.httpClose) x.keepAlive = false;
  if (!rules.empty) {
    const input = ruleInput(c, x);
    const verdict = rules.request(input);
    if (verdict.kind === 'deny') {
      c.fe.stats.deniedReq++;
      return respond(c, x, verdict.status, 'PR');
    }
    if (verdict.kind === 'redirect') return respond(c, x, verdict.code, 'LR', { body: '', headers: [['location', verdict.location]] });
    backendName = rules.backend(input) ?? backendName;
  }
  const be = c.ctx.backend(backendName);
  if (!be) return respond(c, x, 503, 'SC');
  // The backend's own http-request rules, after the frontend's (HAProxy's order).
  const beRules = be.def.rules;
  if (!beRules.empty) {
    x.rawHead = undefined;
    const verdict = beRules.request(ruleInput(c, x));
    if (verdict.kind === 'deny') {
      c.fe.stats.deniedReq++;
      return respond(c, x, verdict.status, 'PR');
    }
    if (verdict.kind === 'redirect') return respond(c, x, verdict.code, 'LR', { body: '', headers: [['location', verdict.location]] });
  }
  // http-server-close / httpclose: this server connection is not kept; the request says so (HAProxy adds
  // `Connection: close`), so the head is rebuilt.
  if (c.fe.def.serverClose || be.def.serverClose) {
    x.closeServer = true;
    x.rawHead = undefined;
  }
  dispatch(c, x, be, 0, now);
}

/** Choose a server (waiting in the queue if all are full), then connect and send. */
function dispatch(c: HttpConn, x: Exchange, be: BackendRuntime, hops: number, now = Date.now()): void {
  x.backend = be;
  be.requests++;
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
  const ctx: PickContext = { clientIp: c.client, path: x.head.uri };
  // The common case picks at once, without a promise; only a full backend waits in the queue.
  const picked = sticky ? { server: sticky } : be.tryAcquire(ctx, undefined, now);
  if (picked !== undefined) return acquired(c, x, be, hops, ctx, picked, qStart, now);
  x.queuePos = be.queued; // requests ahead of this one (%bq)
  void be.acquire(ctx).then((got) => c.guard(() => acquired(c, x, be, hops, ctx, got, qStart)));
}

function acquired(c: HttpConn, x: Exchange, be: BackendRuntime, hops: number, ctx: PickContext, got: Acquired, qStart: number, now = Date.now()): void {
  if (x.finished) {
    if ('server' in got) be.release(got.server);
    return;
  }
  x.Tw = now - qStart;
  if ('error' in got) {
    if (got.error === 'queue-timeout') return respond(c, x, 503, 'sQ');
    if (got.error === 'aborted') return respond(c, x, 503, 'KQ');
    return sorry(c, x, be, hops);
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
    return send(c, x, now);
  }
  void connect(c, x, be, ctx, server).catch((err) => c.internalError(err));
}

async function connect(c: HttpConn, x: Exchange, be: BackendRuntime, ctx: PickContext, server: ServerRuntime): Promise<void> {
  const r = await connectWithRetries(x, be, ctx, server, true);
  if (r === undefined) return;
  if (r.term) {
    // Retries spent: the server is given back now, so the log names none (nobody could be reached).
    if (x.server) {
      be.release(x.server);
      x.server = undefined;
      be.errors++;
    }
    return respond(c, x, 503, r.term);
  }
  x.Tc = r.Tc;
  x.reused = r.reused;
  x.conn = r.conn;
  send(c, x);
}

/** The backend has no usable server: its sorry rule, else 503. */
function sorry(c: HttpConn, x: Exchange, be: BackendRuntime, hops: number): void {
  const rule = be.def.sorry;
  if (rule && 'backend' in rule && hops < 1) {
    const other = c.ctx.backend(rule.backend);
    if (other) return dispatch(c, x, other, hops + 1);
  }
  if (rule && 'redirect' in rule) return respond(c, x, 302, '--', { body: '', headers: [['location', rule.redirect]] });
  if (rule && 'response' in rule) {
    const status = rule.response.status ?? 503;
    return respond(c, x, status, status >= 500 ? 'SC' : '--', { body: rule.response.body ?? '', headers: [['content-type', 'text/plain']] });
  }
  respond(c, x, 503, 'SC');
}
