// A frontend at run time: one net.Server per bind, maxconn (frontend and global), sessions by mode.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { contextFor } from './model/tls.js';
import type { Endpoint } from '../net/index.js';
import type { EngineContext } from './engine/context.js';
import { FrontendStats } from './observe/counters.js';
import { HttpSession } from './session/http/session.js';
import type { FrontendDef } from './model/defs.js';
import { TcpSession } from './session/tcp.js';
import { ActiveList, type Slotted } from './engine/active-list.js';

/** Connections across every frontend, for `global.maxconn`. */
export class ConnLimit {
  current = 0;
  constructor(public max: number) {}
}

interface Session {
  shutdown(): void;
  abort?(): void;
}

/** One accepted connection and the session serving it. */
interface Conn extends Slotted {
  readonly sock: Socket;
  session: Session | undefined;
}

export class FrontendRuntime {
  readonly stats = new FrontendStats();
  private listeners: Server[] = [];
  private readonly conns = new ActiveList<Conn>();
  /** accepted connections waiting for a maxconn slot (HAProxy leaves them in the accept queue) */
  private waiting: Socket[] = [];
  private stopping = false;

  constructor(public def: FrontendDef, private readonly ctx: EngineContext, private readonly global: ConnLimit) {}

  get name(): string {
    return this.def.name;
  }

  async listen(): Promise<void> {
    for (const b of this.def.binds) this.listeners.push(await this.bind(b));
  }

  /** Where the workers listen, as they report it (control process of a multi-worker proxy). */
  reported?: Endpoint[];

  /** Addresses actually bound (port 0 resolves to the kernel's choice). */
  addresses(): Endpoint[] {
    if (this.reported) return this.reported;
    return this.listeners.map((l) => {
      const a = l.address() as { address: string; port: number };
      return { host: a.address, port: a.port };
    });
  }

  private bind(b: Endpoint): Promise<Server> {
    return new Promise((resolve, reject) => {
      const srv = this.def.ssl ? this.tlsServer() : createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (sock) => this.accept(sock));
      srv.once('error', reject);
      srv.listen({ host: b.host, port: b.port, backlog: 1024 }, () => {
        srv.removeListener('error', reject);
        srv.on('error', (err) => this.ctx.log.error({ frontend: this.name, err }, `frontend ${this.name}: ${err.message}`));
        this.ctx.log.info({ frontend: this.name, bind: `${b.host}:${b.port}` }, `Proxy ${this.name} started.`);
        resolve(srv);
      });
    });
  }

  /** A TLS listener: certificates by SNI from the current definition, so a reload swaps them in place. */
  private tlsServer(): Server {
    const ssl = this.def.ssl!;
    const srv = createTlsServer({
      allowHalfOpen: true,
      noDelay: true,
      ALPNProtocols: ssl.config.alpn,
      minVersion: ssl.config.min_version,
      ciphers: ssl.config.ciphers,
      SNICallback: (name, cb) => {
        const certs = this.def.ssl?.certs;
        cb(null, certs ? contextFor(certs, name) : undefined);
      },
      ...this.defaultCert(),
    });
    srv.on('secureConnection', (sock: TLSSocket) => this.accept(sock));
    srv.on('tlsClientError', () => this.stats.errors++);
    return srv;
  }

  private defaultCert() {
    const certs = this.def.ssl!.certs;
    const pem = readFileSync(certs.defaultFile, 'utf8');
    return { cert: pem, key: pem };
  }

  /** After a reload: new certificates for connections from now on; open ones keep theirs. */
  refreshTls(): void {
    if (!this.def.ssl) return;
    for (const l of this.listeners) (l as TlsServer).setSecureContext?.({ ...this.defaultCert(), minVersion: this.def.ssl.config.min_version, ciphers: this.def.ssl.config.ciphers });
  }

  private accept(sock: Socket): void {
    sock.on('error', () => {});
    if (this.stopping) return void sock.destroy();
    if (this.stats.current >= this.def.maxconn || this.global.current >= this.global.max) {
      this.waiting.push(sock);
      sock.once('close', () => (this.waiting = this.waiting.filter((s) => s !== sock)));
      return;
    }
    this.start(sock);
  }

  private start(sock: Socket): void {
    this.stats.current++;
    this.global.current++;
    this.stats.total++;
    this.stats.sessionRate.hit();
    if (this.stats.current > this.stats.max) this.stats.max = this.stats.current;
    const conn: Conn = { sock, session: undefined, activeSlot: -1 };
    this.conns.add(conn);
    const onClose = () => {
      if (!this.conns.delete(conn)) return;
      this.stats.current--;
      this.global.current--;
      this.admitWaiting();
    };
    const ref = { def: this.def, stats: this.stats };
    conn.session = this.def.mode === 'tcp' ? new TcpSession(sock, ref, this.ctx, onClose) : new HttpSession(sock, ref, this.ctx, onClose);
    sock.once('close', onClose);
    if (this.def.mode === 'http') sock.resume();
  }

  private admitWaiting(): void {
    while (this.waiting.length && this.stats.current < this.def.maxconn && this.global.current < this.global.max) {
      const s = this.waiting.shift()!;
      if (!s.destroyed) this.start(s);
    }
  }

  /** Stop accepting; idle HTTP connections close, busy ones close after their exchange. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.waiting) s.destroy();
    this.waiting = [];
    // net.Server.close() waits for every connection; stop listening now and let sessions end on their own.
    const closed = this.listeners.map((l) => new Promise<void>((r) => l.close(() => r())));
    this.listeners = [];
    for (const c of this.conns.snapshot()) c.session?.shutdown();
    await Promise.race([Promise.all(closed), new Promise((r) => setImmediate(r))]);
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Cut whatever is left (end of the grace time). */
  destroyAll(): void {
    for (const c of this.conns.snapshot()) c.sock.destroy();
  }
}
