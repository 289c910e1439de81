// One client connection in `mode tcp`: pick a server, connect with retries, stream both ways with half-close.
import type { Socket } from 'node:net';
import { logAccess } from '../observe/access-log.js';
import type { BackendRuntime } from '../engine/backend.js';
import type { EngineContext, FrontendRef } from '../engine/context.js';
import { clientAddress } from './http/session.js';
import { ConnectTimeout, retryDelay, setConnHandler, type Abortable, type ServerRuntime } from '../engine/server.js';
import { ServerToClient } from './relay.js';

export class TcpSession {
  private server?: ServerRuntime;
  private backend?: BackendRuntime;
  private conn?: Socket;
  private readonly start = Date.now();
  private Tw = -1;
  private Tc = -1;
  private retries = 0;
  private bytesToClient = 0;
  private done = false;
  private clientEnded = false;
  private serverEnded = false;
  private readonly client: string;
  private phase: 'Q' | 'C' | 'D' = 'Q';
  private readonly abortable: Abortable = { abort: () => this.finish('KD'), activeSlot: -1 };
  private readonly toClient: ServerToClient;

  constructor(private readonly sock: Socket, private readonly fe: FrontendRef, private readonly ctx: EngineContext, private readonly onClose: () => void) {
    this.client = clientAddress(sock);
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
    const tried = new Set<ServerRuntime>();
    const qStart = Date.now();
    let got = await be.acquire({ clientIp: this.client });
    this.Tw = Date.now() - qStart;
    const cStart = Date.now();
    this.phase = 'C';
    for (;;) {
      if ('error' in got) return this.finish(got.error === 'queue-timeout' ? 'sQ' : 'SC');
      const server: ServerRuntime = got.server;
      if (this.done) return be.release(server);
      this.server = server;
      server.sessions.add(this.abortable);
      try {
        const conn = await server.connect(be.def.timeouts.connect);
        if (this.done) {
          conn.destroy();
          return;
        }
        this.Tc = Date.now() - cStart;
        return this.stream(conn);
      } catch (err) {
        server.failedConns++;
        server.sessions.delete(this.abortable);
        if (this.done) return;
        if (this.retries >= be.def.retries) return this.finish(err instanceof ConnectTimeout ? 'sC' : 'SC');
        this.retries++;
        tried.add(server);
        if (be.def.redispatch && this.retries === be.def.retries) {
          be.release(server);
          this.server = undefined;
          got = await be.acquire({ clientIp: this.client }, (s) => !tried.has(s));
        } else {
          await retryDelay(be.def.timeouts.connect);
          if (this.done) return;
        }
      }
    }
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

  private finish(term: string): void {
    if (this.done) return;
    this.done = true;
    this.sock.destroy();
    this.conn?.destroy();
    if (this.server) {
      this.server.sessions.delete(this.abortable);
      this.backend!.release(this.server);
    }
    logAccess(this.ctx.accessLog, {
      client: this.client,
      frontend: this.fe.def.name,
      backend: this.backend?.name ?? this.fe.def.backend,
      server: this.server?.name ?? '<NOSRV>',
      timers: { Tq: -1, Tw: this.Tw, Tc: this.Tc, Tr: -1, Tt: Date.now() - this.start },
      bytesRead: this.bytesToClient,
      termination: term,
      retries: this.retries,
    });
    this.onClose();
  }

  /** Graceful stop: TCP sessions run until they end or the grace time cuts them. */
  shutdown(): void {}

  abort(): void {
    this.finish('KD');
  }
}
