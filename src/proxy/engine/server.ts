// One server of a backend at run time: its state in HAProxy's words, counters, idle connection pool, sessions.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ConnectTimeout } from '../../errors/index.js';
import type { AdminState, ServerCheckView, ServerSpec, ServerStatus, ServerView } from '../../interfaces/index.js';
import { warmFraction, warmMaxconn, type BalanceTarget } from '../balance/index.js';
import type { HealthCheckHandle } from '../check/api.js';
import { StatusCounts } from '../observe/counters.js';
import { RateCounter } from '../observe/rate.js';
import { Timings } from '../observe/timings.js';
import { ActiveList, type Slotted } from './active-list.js';

/**
 * Who currently owns a server connection's events (the session using it, or the idle pool). Each event names
 * its connection, so one handler object can serve every connection of its owner (no closures per request).
 */
export interface ConnHandler {
  /**
   * Bytes from the server. On a plain TCP connection they sit in a buffer that is read into again: return true
   * only when nothing holds the chunk any more (every write of it went out whole, and no slice of it is kept).
   */
  data(chunk: Buffer, conn: Socket): boolean;
  /** the server closed or reset the connection */
  end(conn: Socket): void;
  timeout(conn: Socket): void;
}

const NOOP: ConnHandler = { data: () => true, end() {}, timeout() {} };

/** A server connection's current owner, `timeout server`, and read buffer; an item of the idle pool. */
interface Binding extends Slotted {
  /** set once connected */
  sock: Socket | undefined;
  handler: ConnHandler;
  timeoutMs: number;
  /** the buffer the connection reads into next (see reader()) */
  next: Buffer;
}

/**
 * Kept beside the socket, not on it: a property added to Node's sockets gives them a hidden class of their
 * own, and Node's stream code, which every socket runs through, then pays for megamorphic property access.
 */
const bindings = new WeakMap<Socket, Binding>();

const READ_SIZE = 64 * 1024;
/** Reads smaller than this are handed over as a copy of their own size. */
const COPY_BELOW = 16 * 1024;
/**
 * Where a connection reads next while it is not streaming: one buffer for the whole process. Node hands each
 * socket its next read buffer in advance, so a buffer of its own would pin 64 KiB on every idle connection; this
 * one is safe to share because what lands in it is always copied out before the callback returns.
 */
const PARKED = Buffer.allocUnsafe(READ_SIZE);

/**
 * net.connect's `onread` for a binding: bytes are read into a buffer and handed to the current handler, with no
 * Readable stream and, while a transfer streams, no new buffer per read. (Allocating 64 KiB per read made V8
 * collect for external memory many times a second under 1 MiB downloads: a p99 3.5 times HAProxy's.)
 * - A small read (a typical response), or any read into the shared buffer, is handed over as a copy.
 * - A large read into the connection's own buffer is handed over in place; the handler says whether it let it
 *   go (no write of it queued, no slice kept), and only then is that buffer read into again.
 * - A read that filled its buffer means more is waiting: the next read gets a buffer of the connection's own.
 *   Otherwise the socket is drained for now, and it parks on the shared buffer.
 */
function reader(b: Binding) {
  return {
    buffer: () => b.next,
    callback: (bytes: number, buf: Buffer): boolean => {
      let free = true;
      if (bytes < COPY_BELOW || buf === PARKED) b.handler.data(Buffer.from(buf.subarray(0, bytes)), b.sock!);
      else free = b.handler.data(bytes === buf.length ? buf : buf.subarray(0, bytes), b.sock!);
      if (bytes < buf.length) b.next = PARKED;
      else b.next = free && buf !== PARKED ? buf : Buffer.allocUnsafe(READ_SIZE);
      return true; // handlers pause the connection themselves
    },
  };
}

/** Listeners are attached once per connection and dispatch to the current owner (cheaper than re-adding them per request). */
function bindConn(sock: Socket, b: Binding, emitsData: boolean): void {
  b.sock = sock;
  bindings.set(sock, b);
  if (emitsData) sock.on('data', (c: Buffer) => b.handler.data(c, sock));
  sock.on('end', () => b.handler.end(sock));
  sock.on('close', () => b.handler.end(sock));
  sock.on('timeout', () => b.handler.timeout(sock));
  sock.on('error', () => {}); // surfaces as 'close'
}

export function setConnHandler(sock: Socket, h: ConnHandler): void {
  const b = bindings.get(sock);
  if (b) b.handler = h;
}

/** socket.setTimeout allocates a timer each call: skip it when the connection already has this timeout. */
export function setSocketTimeout(sock: Socket, ms: number): void {
  const b = bindings.get(sock);
  if (b?.timeoutMs === ms) return;
  if (b) b.timeoutMs = ms;
  sock.setTimeout(ms);
}

/** Something running on this server that can be cut when a removed server's grace time ends. */
export interface Abortable extends Slotted {
  abort(): void;
}

export class ServerRuntime implements BalanceTarget {
  name: string;
  addr: string;
  port: number;
  weight: number;
  backup: boolean;
  monitorOnly: boolean;
  admin: AdminState;
  maxconn: number;
  /** health as seen by checks; true when not checked */
  checkUp = true;
  checked: boolean;
  /** the check settings it was given (enabled, inter, rise, fall, port), to tell a change */
  checkSettings: string;
  check: ServerCheckView = { status: 'none' };
  reason?: string;
  removing = false;
  /** removal completed: never used again */
  gone = false;

  /** HAProxy's `slowstart` (ms, 0 = off): the server's own setting, else its backend's */
  slowstartMs = 0;
  /** the server's own `slowstart` (undefined: the backend's applies) */
  ownSlowstartMs?: number;
  /** when the current slow start began (ms since epoch); undefined when running at full speed */
  warmSince?: number;
  /** share of full speed now (1 when not warming): scales eweight and maxconn */
  warm = 1;
  /** the backend's algorithm follows eweight (dynamic); static-rr keeps the configured weight */
  rampWeight = true;

  active = 0;
  maxActive = 0;
  total = 0;
  bytesIn = 0;
  bytesOut = 0;
  failedConns = 0;
  failedResp = 0;
  /** HTTP requests sent to this server (HAProxy's req_tot) */
  requests = 0;
  /** responses this server sent, by class (hrsp_*) */
  readonly statuses = new StatusCounts();
  lastChange = Date.now();
  downtimeMs = 0;
  /** new sessions (or requests) per second on this server */
  readonly sessionRate = new RateCounter();
  /** latency histograms (kept with `metrics.server_histograms`) */
  readonly timings = new Timings();
  /** health checks that failed (HAProxy's chkfail) */
  checksFailed = 0;
  private downSince?: number;

  healthCheck?: HealthCheckHandle;
  /** TLS towards this server (backend `server_ssl`), for traffic and checks */
  tls?: ConnectionOptions;
  /**
   * Pooled keep-alive connections, about last parked first out: the busiest stay warm, and those left at the
   * bottom pass their `timeout server` and close, so the pool shrinks back after a peak. Not a Set (see
   * active-list.ts), and a drop from anywhere is O(1).
   */
  private readonly idle = new ActiveList<Binding>();
  readonly sessions = new ActiveList<Abortable>();

  constructor(spec: ServerSpec, maxconn: number) {
    this.name = spec.name;
    this.addr = spec.addr;
    this.port = spec.port;
    this.weight = spec.weight ?? 1;
    this.backup = spec.backup ?? false;
    this.monitorOnly = spec.monitorOnly ?? false;
    this.admin = spec.state ?? 'ready';
    this.maxconn = maxconn;
    this.checked = spec.check?.enabled ?? false;
    this.checkSettings = checkSettingsOf(spec);
    this.reason = spec.reason;
    this.ownSlowstartMs = spec.slowstart;
    if (this.checked) this.check = { status: 'pending' };
  }

  get status(): ServerStatus {
    if (this.admin === 'maint') return 'MAINT';
    if (!this.checkUp) return 'DOWN';
    if (this.admin === 'drain') return 'DRAIN';
    return this.checked ? 'UP' : 'no check';
  }

  /** May take new traffic (balancer candidate). */
  get usable(): boolean {
    return !this.removing && !this.gone && !this.monitorOnly && this.admin === 'ready' && this.checkUp;
  }

  get full(): boolean {
    if (this.maxconn <= 0) return false;
    return this.active >= (this.warm < 1 ? warmMaxconn(this.maxconn, this.warm) : this.maxconn);
  }

  /** Current effective weight (HAProxy's eweight): the weight, scaled down while slow start ramps it. */
  get eweight(): number {
    return this.warm < 1 && this.rampWeight ? this.weight * this.warm : this.weight;
  }

  /** The server came UP: its slow start (if any) begins now. */
  startWarmup(now: number): void {
    if (this.slowstartMs <= 0) return;
    this.warmSince = now;
    this.warm = warmFraction(0, this.slowstartMs);
  }

  /** Move along the ramp; true when the share changed (the backend then re-balances). */
  updateWarm(now: number): boolean {
    const before = this.warm;
    if (this.warmSince !== undefined) {
      this.warm = warmFraction(now - this.warmSince, this.slowstartMs);
      if (this.warm >= 1) this.warmSince = undefined;
    } else this.warm = 1;
    return this.warm !== before;
  }

  /** Record a status transition for lastChange / downtime. */
  noteTransition(before: ServerStatus, now = Date.now()): void {
    const after = this.status;
    if (before === after) return;
    this.lastChange = now;
    const wasDown = before === 'DOWN' || before === 'MAINT';
    const isDown = after === 'DOWN' || after === 'MAINT';
    if (!wasDown && isDown) this.downSince = now;
    if (wasDown && !isDown && this.downSince !== undefined) {
      this.downtimeMs += now - this.downSince;
      this.downSince = undefined;
    }
    // back from DOWN or MAINT: slow start, as HAProxy (a DRAIN that ends was running all along)
    if (wasDown && !isDown) this.startWarmup(now);
  }

  currentDowntime(): number {
    return this.downtimeMs + (this.downSince !== undefined ? Date.now() - this.downSince : 0);
  }

  take(now = Date.now()): void {
    this.active++;
    this.total++;
    this.sessionRate.hit(now);
    if (this.active > this.maxActive) this.maxActive = this.active;
  }

  /** A pooled keep-alive connection, or undefined. */
  takeIdle(): Socket | undefined {
    for (let b = this.idle.pop(); b !== undefined; b = this.idle.pop()) {
      const s = b.sock!;
      if (!s.destroyed && s.readyState === 'open') return s;
      s.destroy();
    }
    return undefined;
  }

  /** Park a connection for reuse; it is dropped if the server closes it or sends anything unasked. */
  putIdle(sock: Socket): void {
    if (this.removing || this.gone || this.admin === 'maint' || sock.destroyed) {
      sock.destroy();
      return;
    }
    // The connection keeps its `timeout server`: an idle one is dropped when it passes (HAProxy purges idle
    // server connections too).
    const b = bindings.get(sock);
    if (!b) return void sock.destroy();
    b.handler = this.idleHandler;
    this.idle.add(b);
    sock.resume();
  }

  /** An idle connection is dropped on anything: data nobody asked for, a close, its timeout. */
  private readonly idleHandler: ConnHandler = {
    data: (_c, sock) => (this.dropIdle(sock), true),
    end: (sock) => this.dropIdle(sock),
    timeout: (sock) => this.dropIdle(sock),
  };

  private dropIdle(sock: Socket): void {
    const b = bindings.get(sock);
    if (b) this.idle.delete(b);
    sock.destroy();
  }

  closeIdle(): void {
    for (const b of this.idle.snapshot()) {
      this.idle.delete(b);
      b.sock!.destroy();
    }
  }

  /** A new connection to this server; its events go to the handler set with setConnHandler(). */
  connect(timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const b: Binding = { sock: undefined, handler: NOOP, timeoutMs: 0, next: PARKED, activeSlot: -1 };
      // TLS sockets have no `onread`: they emit 'data' with a new buffer each time.
      const sock: Socket = this.tls
        ? tlsConnect({ ...this.tls, host: this.addr, port: this.port })
        : connect({ host: this.addr, port: this.port, allowHalfOpen: true, noDelay: true, onread: reader(b) });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ConnectTimeout(timeoutMs));
      }, timeoutMs);
      sock.once(this.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        bindConn(sock, b, this.tls !== undefined);
        resolve(sock);
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  view(queue: { current: number; max: number }): ServerView {
    return {
      name: this.name,
      addr: this.addr,
      port: this.port,
      weight: this.weight,
      backup: this.backup,
      monitorOnly: this.monitorOnly,
      admin: this.admin,
      status: this.status,
      check: this.check,
      sessions: { current: this.active, max: this.maxActive, total: this.total },
      queue,
      lastChange: this.lastChange,
      downtimeMs: this.currentDowntime(),
      ...(this.warm < 1 ? { eweight: roundWeight(this.eweight) } : {}),
      ...(this.removing ? { removing: true } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}

/** An effective weight for display: two decimals (a warming weight-1 server is 0.05 … 0.95). */
export function roundWeight(w: number): number {
  return Math.round(w * 100) / 100;
}

/** A server's check settings as one comparable string: a change of any of them is a change of the server. */
export function checkSettingsOf(spec: ServerSpec): string {
  const c = spec.check ?? {};
  return JSON.stringify([c.enabled ?? false, c.inter, c.rise, c.fall, c.port]);
}
