// One client connection in `mode http`: parse request heads on the raw socket, forward them over pooled
// keep-alive server connections, pass bodies through by their framing, and log one line per request.
// This file is the connection's life cycle (socket events, states, timers, the end of each exchange); each
// concern of an exchange has its module: request.ts (heads), route.ts (rules, cookies, queue, connect),
// forward.ts (the request to the server), response.ts (the response to the client), tunnel.ts (WebSocket),
// answer.ts (responses the proxy writes), log.ts (the access log).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { errorMessage } from '../../../errors/index.js';
import type { EngineContext, FrontendRef } from '../../engine/context.js';
import type { ConnHandler } from '../../engine/server.js';
import type { Termination } from '../../observe/termination.js';
import { clientAddress } from '../client.js';
import { EMPTY, lastExchange, type ConnState, type Exchange, type HttpConn } from './exchange.js';
import { forwardRequestBody } from './forward.js';
import { logAbandoned, logExchange } from './log.js';
import { recordTimings } from '../../observe/timings.js';
import { readHead, reject } from './request.js';
import { onServerData, serverClosed, serverTimeout } from './response.js';
import { tunnelUp } from './tunnel.js';


export class HttpSession implements HttpConn {
  buf: Buffer = EMPTY;
  scanned = 0;
  state: ConnState = 'idle';
  /**
   * `timeout http-request` and `timeout http-keep-alive`: one timer each, made once per connection and restarted
   * with refresh() (no allocation per request). They are not cancelled between requests: each callback acts only
   * in the state it is meant for, and every entry into that state restarts its timer.
   */
  private headTimer?: NodeJS.Timeout;
  private keepAliveTimer?: NodeJS.Timeout;
  reqStart = Date.now();
  idleSince = this.reqStart;
  x: Exchange | undefined = undefined;
  clientEnded = false;
  readonly client: string;
  requests = 0;
  readonly tls: boolean;

  constructor(readonly sock: Socket, readonly fe: FrontendRef, readonly ctx: EngineContext, private readonly onClose: () => void) {
    this.client = clientAddress(sock);
    this.tls = (sock as TLSSocket).encrypted === true;
    // The local address is read (and kept by Node) now, while the socket is open, if the log writes it.
    if (fe.def.log.usesLocal) sock.address();
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

  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.internalError(err);
    }
  }

  internalError(err: unknown): void {
    this.ctx.log.error({ err, frontend: this.fe.def.name }, `internal error on a connection from ${this.client}: ${errorMessage(err)}`);
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

  stopTimers(): void {
    clearTimeout(this.headTimer);
    clearTimeout(this.keepAliveTimer);
  }

  private onData(chunk: Buffer): void {
    this.fe.stats.bytesIn += chunk.length;
    if (this.state === 'closed') return;
    if (this.state === 'tunnel') return tunnelUp(this, this.x!, chunk);
    if (this.state === 'busy') {
      const x = this.x!;
      if (!x.reqWalker.done && x.conn && !x.finished) return forwardRequestBody(this, x, chunk);
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
    readHead(this, now);
    // Most heads arrive whole: arm `timeout http-request` only for one still incomplete.
    if (armHead && this.state === 'head') this.armHeadTimer();
  }

  /** Events of the server connection the current exchange uses: one handler object per session. */
  readonly serverEvents: ConnHandler = {
    data: (c, conn) => {
      const x = this.x;
      if (!x || x.finished || x.conn !== conn) return true;
      try {
        onServerData(this, x, conn, c);
      } catch (err) {
        this.internalError(err);
      }
      // The chunk is free unless a write of it is still queued or an incomplete head keeps it.
      return this.sock.writableLength === 0 && x.rbuf.buffer !== c.buffer;
    },
    end: (conn) => {
      if (this.x) serverClosed(this, this.x, conn);
    },
    timeout: (conn) => {
      if (this.x) serverTimeout(this, this.x, conn);
    },
  };

  complete(x: Exchange, term: Termination = '--', now = Date.now()): void {
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
    logExchange(this, x, term, now);
    recordTimings(x.backend, x.server, x.Tw, x.Tc, x.Tr, now - x.start);
    this.x = undefined;
    // A client that closed its side after pipelining still gets an answer to each request it sent, as HAProxy does.
    if (!x.keepAlive || lastExchange(this) || this.state === 'closed') return this.close(true);
    this.state = 'idle';
    this.reqStart = now;
    this.idleSince = now;
    if (this.sock.isPaused()) this.sock.resume();
    if (this.buf.length) {
      this.state = 'head';
      this.armHeadTimer();
      readHead(this, now);
    } else this.armKeepAliveTimer();
  }

  kill(x: Exchange, term: Termination): void {
    x.conn?.destroy();
    x.keepAlive = false;
    if (!x.finished) {
      x.serverReusable = false;
      this.complete(x, term);
    }
    this.close(false);
  }

  abortExchange(x: Exchange): void {
    this.kill(x, `K${x.phase}`);
  }

  private headTimeout(): void {
    if (this.state === 'head' || (this.state === 'idle' && this.requests === 0)) {
      // Nothing at all on a fresh connection: HAProxy closes silently ("cR" without 408 only for empty keep-alive).
      reject(this, 408, 'cR', 'timeout http-request');
    }
  }

  private keepAliveTimeout(): void {
    if (this.state === 'idle') this.close(true);
  }

  private onClientTimeout(): void {
    const x = this.x;
    if (x && !x.finished) this.kill(x, 'cD');
    else this.close(false);
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.state === 'tunnel' && this.x) {
      this.state = 'busy';
      return this.complete(this.x, '--');
    }
    if (this.state !== 'busy') {
      logAbandoned(this);
      this.close(true);
    }
  }

  private onClientClose(): void {
    const x = this.x;
    if (x && !x.finished) {
      x.conn?.destroy();
      x.keepAlive = false;
      x.serverReusable = false;
      this.state = 'closed';
      this.complete(x, `C${x.phase}`);
    } else if (this.state === 'head' || this.state === 'idle') logAbandoned(this);
    this.close(false);
  }

  close(graceful: boolean): void {
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
