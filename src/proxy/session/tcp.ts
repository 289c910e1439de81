// One client connection in `mode tcp`: pick a server, connect with retries, stream both ways with half-close.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { BackendRuntime } from '../engine/backend.js';
import { connectWithRetries, type Connecting } from '../engine/connect.js';
import type { EngineContext, FrontendRef } from '../engine/context.js';
import { setConnHandler, type ServerRuntime } from '../engine/server.js';
import { accessLogWanted, logAccess } from '../observe/access-log.js';
import { nextRequestCounter } from '../observe/access-record.js';
import type { Termination } from '../observe/termination.js';
import { recordTimings } from '../observe/timings.js';
import { clientAddress } from './client.js';
import { ServerToClient } from './relay.js';

/** The session is what its server lists as running (cut at a removed server's grace end) and what connects. */
export class TcpSession implements Connecting {
  server: ServerRuntime | undefined = undefined;
  retries = 0;
  finished = false;
  activeSlot = -1;
  private backend?: BackendRuntime;
  private conn?: Socket;
  private readonly start = Date.now();
  private Tw = -1;
  private Tc = -1;
  private bytesToClient = 0;
  private bytesFromClient = 0;
  private queuePos = 0;
  private readonly counter = nextRequestCounter();
  private clientEnded = false;
  private serverEnded = false;
  private readonly client: string;
  private phase: 'Q' | 'C' | 'D' = 'Q';
  private readonly toClient: ServerToClient;

  constructor(private readonly sock: Socket, private readonly fe: FrontendRef, private readonly ctx: EngineContext, private readonly onClose: () => void) {
    this.client = clientAddress(sock);
    if (fe.def.log.usesLocal) sock.address(); // read while open: the log writes it after the close
    this.toClient = new ServerToClient(sock, (n) => this.countOut(n));
    sock.pause();
    sock.on('error', () => {});
    sock.on('close', () => this.finish(this.phase === 'D' ? (this.clientEnded ? '--' : 'CD') : `C${this.phase}`));
    sock.on('end', () => {
      this.clientEnded = true;
      if (this.conn) this.conn.end();
      this.maybeDone();
    });
    sock.on('timeout', () => this.finish(`c${this.phase}`));
    sock.setTimeout(fe.def.timeouts.client);
    void this.connect();
  }

  private async connect(): Promise<void> {
    const be = this.ctx.backend(this.fe.def.backend);
    if (!be) return this.finish('SC');
    this.backend = be;
    const qStart = Date.now();
    const ctx = { clientIp: this.client };
    this.queuePos = be.queued;
    const got = await be.acquire(ctx);
    this.Tw = Date.now() - qStart;
    this.phase = 'C';
    if ('error' in got) return this.finish(got.error === 'queue-timeout' ? 'sQ' : 'SC');
    if (this.finished) return be.release(got.server);
    const r = await connectWithRetries(this, be, ctx, got.server, false);
    if (r === undefined) return;
    if (r.term) return this.finish(r.term);
    this.Tc = r.Tc;
    this.stream(r.conn);
  }

  private stream(conn: Socket): void {
    this.conn = conn;
    this.phase = 'D';
    const server = this.server!;
    const be = this.backend!;
    conn.setTimeout(be.def.timeouts.server);
    conn.on('timeout', () => this.finish('sD'));
    conn.on('close', () => this.finish(this.serverEnded ? '--' : 'SD'));
    conn.on('end', () => {
      this.serverEnded = true;
      this.sock.end();
      this.maybeDone();
    });
    setConnHandler(conn, this.toClient);
    this.sock.on('data', (c: Buffer) => {
      server.bytesIn += c.length;
      be.bytesIn += c.length;
      this.bytesFromClient += c.length;
      this.fe.stats.bytesIn += c.length;
      if (!conn.write(c)) {
        this.sock.pause();
        conn.once('drain', () => this.sock.resume());
      }
    });
    if (this.clientEnded) conn.end();
    this.sock.resume();
  }

  private countOut(bytes: number): void {
    this.bytesToClient += bytes;
    this.server!.bytesOut += bytes;
    this.backend!.bytesOut += bytes;
    this.fe.stats.bytesOut += bytes;
  }

  private maybeDone(): void {
    if (this.clientEnded && this.serverEnded) this.finish('--');
  }

  private finish(term: Termination): void {
    if (this.finished) return;
    this.finished = true;
    this.sock.destroy();
    this.conn?.destroy();
    if (this.server) {
      this.server.sessions.delete(this);
      this.backend!.release(this.server);
    }
    recordTimings(this.backend, this.server, this.Tw, this.Tc, -1, Date.now() - this.start);
    this.log(term);
    this.onClose();
  }

  /** The session's line; `dontlognull`: none for a client that sent nothing. */
  private log(term: Termination): void {
    const def = this.fe.def.log;
    const out = { json: this.ctx.accessLog, sinks: this.ctx.sinks };
    if ((def.dontlognull && this.bytesFromClient === 0) || !accessLogWanted(out, def)) return;
    const now = Date.now();
    const srv = this.server;
    const local = this.sock.localAddress ?? '';
    logAccess(out, def, {
      accepted: this.start,
      requestAt: this.start,
      now,
      client: this.client,
      clientPort: this.sock.remotePort ?? 0,
      frontendIp: local.startsWith('::ffff:') ? local.slice(7) : local,
      frontendPort: this.sock.localPort ?? 0,
      frontend: this.fe.def.name,
      tls: (this.sock as TLSSocket).encrypted === true,
      backend: this.backend?.name ?? this.fe.def.backend,
      server: srv?.name ?? '<NOSRV>',
      serverIp: srv ? srv.addr : '',
      serverPort: srv ? srv.port : 0,
      timers: { Tq: -1, Tw: this.Tw, Tc: this.Tc, Tr: -1, Tt: now - this.start },
      idle: 0,
      bytesRead: this.bytesToClient,
      bytesUploaded: this.bytesFromClient,
      termination: term,
      cookie: '--',
      actconn: this.ctx.conns.current,
      feconn: this.fe.stats.current,
      beconn: this.backend ? this.backend.active : 0,
      srvconn: srv ? srv.active : 0,
      retries: this.retries,
      srvQueue: 0,
      backendQueue: this.queuePos,
      counter: this.counter,
    });
  }

  /** Graceful stop: TCP sessions run until they end or the grace time cuts them. */
  shutdown(): void {}

  abort(): void {
    this.finish('KD');
  }
}
