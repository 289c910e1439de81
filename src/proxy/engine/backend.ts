// A backend at run time: its servers, the balancing algorithm over the usable tier, the queue, and in-place list changes.
import type { Logger } from 'pino';
import type { AdminState, ApplyResult, BackendView, ServerSpec, ServerView } from '../../interfaces/index.js';
import { algorithmFor, nextStepAt, type BalanceAlgorithm, type PickContext } from '../balance/index.js';
import type { BackendDef } from '../model/defs.js';
import { StatusCounts } from '../observe/counters.js';
import { RateCounter } from '../observe/rate.js';
import { Timings } from '../observe/timings.js';
import { NotFound } from '../../errors/index.js';
import { Buckets } from '../../metrics/index.js';
import { checkSettingsOf, ServerRuntime } from './server.js';
import { attachCheck, checkTimingOf } from './server-check.js';
import { serverTlsOptions } from '../model/tls.js';

interface Waiter {
  ctx: PickContext;
  accept?: (s: ServerRuntime) => boolean;
  resolve: (r: Acquired) => void;
  timer: NodeJS.Timeout;
}

export type Acquired = { server: ServerRuntime } | { error: 'noserver' | 'queue-timeout' | 'aborted' };

export interface BackendOptions {
  /**
   * Health comes from elsewhere (a proxy worker mirrors its control process, which runs the checks): no checks
   * here; `applyHealth` sets each server's state.
   */
  externalHealth?: boolean;
  /** Called after the usable set may have changed (list, state, weight, health). */
  onChange?: () => void;
  /**
   * Sessions run in other processes (the control process of a multi-worker proxy): a removed server stays
   * "removing" until the workers' counters show it idle (settleRemovals) or its grace time ends.
   */
  sessionsElsewhere?: boolean;
}

/** A server's health as the control process sees it (sent to workers). */
export interface ServerHealth {
  name: string;
  checkUp: boolean;
  check: ServerView['check'];
  /** the control process's slow start of this server (ms since epoch), so every worker ramps it alike */
  warmSince?: number;
}

export class BackendRuntime {
  readonly servers = new Map<string, ServerRuntime>();
  /** removed servers still finishing their sessions */
  readonly removing = new Set<ServerRuntime>();
  private algorithm: BalanceAlgorithm<ServerRuntime>;
  private queue: Waiter[] = [];
  maxQueue = 0;
  total = 0;
  /** sessions per second handed to this backend (HAProxy's rate) */
  readonly sessionRate = new RateCounter();
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  errors = 0;
  /** HTTP requests routed to this backend (HAProxy's req_tot) */
  requests = 0;
  /** responses to requests routed here (from servers or written by the proxy), by class */
  readonly statuses = new StatusCounts();
  lastChange = Date.now();
  /** latency histograms of the requests routed here (unless `metrics.histograms: false`) */
  readonly timings = new Timings();
  /** how long its servers' health checks took */
  readonly checkTimes = new Buckets();
  /** requests waiting in the workers' queues (control process of a multi-worker proxy) */
  queuedElsewhere = 0;
  private tier: 'active' | 'backup' | 'none' = 'none';
  /** next slow-start step of a warming server; one timer per backend, none when nothing warms */
  private warmTimer?: NodeJS.Timeout;
  private warmAt = Infinity;
  /** servers beyond the config's static ones (from roles, or mirrored by a worker): kept across a reload */
  private extra: ServerSpec[] = [];
  /** discovered server names refused because a static server has them (warned once) */
  private readonly shadowed = new Set<string>();

  constructor(public def: BackendDef, private readonly log: Logger, private readonly opts: BackendOptions = {}) {
    this.algorithm = algorithmFor(def.balance);
    // servers there at start run at full speed at once (HAProxy: no slow start when the process starts)
    for (const spec of def.servers) this.addServer(spec, def.maxconn[spec.name] ?? 0, false);
    this.refresh();
  }

  get name(): string {
    return this.def.name;
  }

  get queued(): number {
    return this.queue.length + this.queuedElsewhere;
  }

  get active(): number {
    let n = 0;
    for (const s of this.servers.values()) n += s.active;
    for (const s of this.removing) n += s.active;
    return n;
  }

  /** Recompute the usable tier: active servers, or backup ones when no active is usable (HAProxy). */
  refresh(): void {
    this.rebalance();
    this.opts.onChange?.();
  }

  /** The usable tier, its weights (slow start steps included) and the queue; nobody else needs telling. */
  private rebalance(now = Date.now()): void {
    for (const s of this.servers.values()) s.updateWarm(now);
    const all = [...this.servers.values()];
    const active = all.filter((s) => s.usable && !s.backup);
    const backup = all.filter((s) => s.usable && s.backup);
    const tier = active.length ? 'active' : backup.length ? 'backup' : 'none';
    this.algorithm.update(tier === 'active' ? active : backup);
    if (tier !== this.tier) {
      if (tier === 'none' && this.tier !== 'none') this.log.warn({ backend: this.name }, `backend ${this.name} has no server available!`);
      this.tier = tier;
      this.lastChange = Date.now();
    }
    this.serveQueue();
    this.scheduleWarm(now);
  }

  /** Re-balance at the next slow-start step of any warming server (a few times a second at most per ramp). */
  private scheduleWarm(now: number): void {
    let at = Infinity;
    for (const s of this.servers.values()) if (s.warmSince !== undefined) at = Math.min(at, nextStepAt(s.warmSince, s.slowstartMs, now));
    if (at === this.warmAt && this.warmTimer) return;
    clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
    this.warmAt = at;
    if (at === Infinity) return;
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined;
      this.rebalance();
    }, Math.min(2 ** 31 - 1, Math.max(0, at - now)));
    this.warmTimer.unref();
  }

  /** Mirror the control process's health checks (externalHealth). */
  applyHealth(health: ServerHealth[]): void {
    for (const h of health) {
      const s = this.servers.get(h.name);
      if (!s) continue;
      const before = s.status;
      s.checkUp = h.checkUp;
      s.check = h.check;
      s.noteTransition(before);
      // the control process says when the slow start began (a worker started later ramps in step with the others)
      s.warmSince = h.warmSince;
    }
    this.refresh();
  }

  /** Removed servers whose sessions (counted elsewhere) are all gone finish their removal now. */
  settleRemovals(): void {
    for (const s of this.removing) if (s.active === 0) this.finishRemoval(s);
  }

  /** Change settings in place (config reload); the server list is diffed separately. */
  redefine(def: BackendDef): void {
    if (def.balance !== this.def.balance) this.algorithm = algorithmFor(def.balance);
    for (const s of this.servers.values()) {
      s.rampWeight = this.algorithm.dynamic;
      s.slowstartMs = s.ownSlowstartMs ?? def.slowstartMs;
    }
    const checkChanged = JSON.stringify(def.check) !== JSON.stringify(this.def.check) || def.timeouts.check !== this.def.timeouts.check;
    const tlsChanged = JSON.stringify(def.serverSsl) !== JSON.stringify(this.def.serverSsl);
    this.def = def;
    if (tlsChanged) for (const s of this.servers.values()) s.tls = def.serverSsl ? serverTlsOptions(def.serverSsl, s.addr) : undefined;
    // A new check definition (or TLS setting) restarts every server's check; the server list diff below retimes the rest.
    if ((checkChanged || tlsChanged) && !this.opts.externalHealth) for (const s of this.servers.values()) this.restartCheck(s, def.servers.find((x) => x.name === s.name));
    for (const [name, s] of this.servers) s.maxconn = def.maxconn[name] ?? 0;
    // The file's servers, and beside them those from roles (or mirrored): the latter are not removed and added
    // again, so they keep their sessions, counters and health. One now named like a static server gives way.
    const statics = this.staticNames(def);
    this.extra = this.extra.filter((s) => !statics.has(s.name));
    this.applyScoped([...def.servers, ...this.extra], () => true);
  }

  /** Pick a server now, or wait in the queue while usable servers are all at maxconn. */
  acquire(ctx: PickContext, accept?: (s: ServerRuntime) => boolean): Promise<Acquired> {
    const pick = this.tryAcquire(ctx, accept);
    if (pick !== undefined) return Promise.resolve(pick);
    return new Promise((resolve) => {
      const w: Waiter = {
        ctx,
        accept,
        resolve,
        timer: setTimeout(() => {
          this.queue = this.queue.filter((x) => x !== w);
          resolve({ error: 'queue-timeout' });
        }, this.def.timeouts.queue),
      };
      this.queue.push(w);
      if (this.queue.length > this.maxQueue) this.maxQueue = this.queue.length;
    });
  }

  /** A server, an error, or undefined when the caller has to queue. */
  tryAcquire(ctx: PickContext, accept?: (s: ServerRuntime) => boolean, now = Date.now()): Acquired | undefined {
    // The common case (no retry exclusions) reuses one predicate: no closure per request.
    const s = this.algorithm.pick(ctx, accept ? (c) => !c.full && accept(c) : notFull);
    if (s) {
      s.take(now);
      this.algorithm.loadChanged?.(s);
      this.total++;
      this.sessionRate.hit(now);
      return { server: s };
    }
    // Nobody to pick at all (not merely full): the sorry path, not the queue.
    const anyCandidate = this.algorithm.pick(ctx, (c) => !accept || accept(c));
    if (!anyCandidate) return { error: 'noserver' };
    return undefined;
  }

  /**
   * Cookie persistence: the named server takes the request if it may (UP, or DRAIN: HAProxy keeps cookie
   * holders on a draining server) and has room; otherwise undefined and the request is balanced.
   */
  takeSticky(name: string): ServerRuntime | undefined {
    const s = this.servers.get(name);
    if (!s || s.removing || s.gone || s.monitorOnly || s.admin === 'maint' || !s.checkUp || s.full) return undefined;
    s.take();
    this.algorithm.loadChanged?.(s);
    this.total++;
    this.sessionRate.hit();
    return s;
  }

  /** A request or session ended on `server`: free its slot and hand it to the queue. */
  release(server: ServerRuntime): void {
    server.active--;
    this.algorithm.loadChanged?.(server);
    if (server.removing && server.active === 0) this.finishRemoval(server);
    this.serveQueue();
  }

  private serveQueue(): void {
    while (this.queue.length) {
      const w = this.queue[0]!;
      const r = this.tryAcquire(w.ctx, w.accept);
      if (r === undefined) return;
      this.queue.shift();
      clearTimeout(w.timer);
      w.resolve(r);
    }
  }

  /** The whole server list in place (the admin API's PUT): until the next reload, which goes back to the file's. */
  applyServers(specs: ServerSpec[]): ApplyResult {
    this.extra = [];
    return this.applyScoped(specs, () => true);
  }

  /** A worker's copy of its control process's list: what is not in the file is kept across a reload there too. */
  mirror(specs: ServerSpec[]): void {
    const statics = this.staticNames();
    this.applyScoped(specs, () => true);
    this.extra = specs.filter((s) => !statics.has(s.name));
  }

  /**
   * The servers that come from roles, beside the config's static servers: those stay as listed, whatever the
   * list (as the HAProxy driver leaves haproxy.cfg's servers alone). A server named like a static one is not
   * added: the static server keeps its name (said once per name).
   */
  applyDiscovered(specs: ServerSpec[]): ApplyResult {
    const statics = this.staticNames();
    this.extra = specs.filter((s) => {
      if (!statics.has(s.name)) return true;
      if (!this.shadowed.has(s.name)) this.log.warn({ backend: this.name, server: s.name }, `Server ${this.name}/${s.name} is a static server of the configuration: kept as configured, the discovered one is not added`);
      this.shadowed.add(s.name);
      return false;
    });
    return this.applyScoped(this.extra, (name) => !statics.has(name));
  }

  private staticNames(def: BackendDef = this.def): Set<string> {
    return new Set(def.servers.map((s) => s.name));
  }

  /** Apply `specs` in place; of the servers there, only those `owned` are removed when absent from it. */
  private applyScoped(specs: ServerSpec[], owned: (name: string) => boolean): ApplyResult {
    const maxconn = this.def.maxconn;
    const result: ApplyResult = { added: [], removed: [], changed: [] };
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, s] of this.servers) {
      if (!owned(name) && !wanted.has(name)) continue;
      const spec = wanted.get(name);
      if (!spec || spec.addr !== s.addr || spec.port !== s.port) {
        this.remove(s);
        if (!spec) result.removed.push(name);
      }
    }
    for (const spec of specs) {
      const cur = this.servers.get(spec.name);
      if (!cur) {
        const s = this.addServer(spec, maxconn[spec.name] ?? 0, true);
        this.log.info({ backend: this.name, server: s.name }, `Server ${this.name}/${s.name} added at ${s.addr}:${s.port}`);
        result.added.push(spec.name);
        continue;
      }
      const before = cur.status;
      const weight = spec.weight ?? 1;
      const admin = spec.state ?? 'ready';
      const checkSettings = checkSettingsOf(spec);
      const changed =
        cur.weight !== weight || cur.backup !== (spec.backup ?? false) || cur.monitorOnly !== (spec.monitorOnly ?? false) || cur.admin !== admin || cur.checkSettings !== checkSettings || cur.ownSlowstartMs !== spec.slowstart;
      cur.checkSettings = checkSettings;
      cur.weight = weight;
      cur.backup = spec.backup ?? false;
      cur.monitorOnly = spec.monitorOnly ?? false;
      cur.admin = admin;
      cur.reason = spec.reason;
      cur.ownSlowstartMs = spec.slowstart;
      cur.slowstartMs = spec.slowstart ?? this.def.slowstartMs;
      this.syncCheck(cur, spec);
      cur.noteTransition(before);
      if (changed) result.changed.push(spec.name);
    }
    this.refresh();
    return result;
  }

  /** `join`: a server added while running, which slow-starts (a worker waits for its control process to say). */
  private addServer(spec: ServerSpec, maxconn: number, join: boolean): ServerRuntime {
    const s = new ServerRuntime(spec, maxconn);
    s.slowstartMs = spec.slowstart ?? this.def.slowstartMs;
    s.rampWeight = this.algorithm.dynamic;
    if (join && !this.opts.externalHealth && s.status !== 'DOWN' && s.status !== 'MAINT') s.startWarmup(Date.now());
    if (this.def.serverSsl) s.tls = serverTlsOptions(this.def.serverSsl, s.addr);
    this.servers.set(spec.name, s);
    if (s.checked && !this.opts.externalHealth) this.startCheck(s, spec);
    return s;
  }

  private readonly counts = () => {
    let active = 0;
    let backup = 0;
    for (const x of this.servers.values()) if (x.usable) {
      if (x.backup) backup++;
      else active++;
    }
    return { active, backup };
  };

  private startCheck(s: ServerRuntime, spec: ServerSpec): void {
    attachCheck(this.def, spec, s, this.log, this.counts, () => this.refresh(), this.checkTimes);
  }

  /** Checks follow the spec in place: switched on or off, retimed when inter/rise/fall change. */
  private syncCheck(s: ServerRuntime, spec: ServerSpec): void {
    const want = spec.check?.enabled ?? false;
    if (this.opts.externalHealth) {
      s.checked = want;
      return;
    }
    if (want && !s.healthCheck) {
      s.checked = true;
      s.check = { status: 'pending' };
      this.startCheck(s, spec);
    } else if (!want && s.healthCheck) {
      const before = s.status;
      s.healthCheck.stop();
      s.healthCheck = undefined;
      s.checked = false;
      s.checkUp = true;
      s.check = { status: 'none' };
      s.noteTransition(before);
    } else if (s.healthCheck) {
      s.healthCheck.retime(checkTimingOf(this.def, spec));
    }
  }

  private restartCheck(s: ServerRuntime, spec: ServerSpec | undefined): void {
    if (!s.healthCheck || !spec) return;
    s.healthCheck.stop();
    s.healthCheck = undefined;
    this.startCheck(s, spec);
  }

  /** No new traffic at once; sessions finish up to the grace time, then are cut. */
  private remove(s: ServerRuntime): void {
    this.servers.delete(s.name);
    s.healthCheck?.stop();
    s.removing = true;
    s.closeIdle();
    this.log.info({ backend: this.name, server: s.name }, `Server ${this.name}/${s.name} removed, ${s.active} sessions active`);
    if (s.active === 0 && s.sessions.size === 0 && !this.opts.sessionsElsewhere) {
      this.finishRemoval(s);
      return;
    }
    this.removing.add(s);
    const timer = setTimeout(() => {
      if (s.gone) return;
      for (const sess of s.sessions.snapshot()) sess.abort();
      this.finishRemoval(s);
    }, this.def.graceMs);
    timer.unref();
  }

  private finishRemoval(s: ServerRuntime): void {
    if (s.gone) return;
    s.gone = true;
    s.closeIdle();
    this.removing.delete(s);
  }

  setState(name: string, state: AdminState): void {
    const s = this.server(name);
    const before = s.status;
    s.admin = state;
    s.noteTransition(before);
    if (state === 'maint') s.closeIdle();
    if (before !== s.status) this.log.info({ backend: this.name, server: name }, `Server ${this.name}/${name} is ${s.status === 'MAINT' ? 'going DOWN for maintenance' : s.status === 'DRAIN' ? 'going into DRAIN mode' : 'UP (leaving forced maintenance)'}.`);
    this.refresh();
  }

  setWeight(name: string, weight: number): void {
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw new RangeError('weight must be an integer 0..256');
    this.server(name).weight = weight;
    this.refresh();
  }

  server(name: string): ServerRuntime {
    const s = this.servers.get(name);
    if (!s) throw new NotFound(`no such server '${name}' in backend '${this.name}'`);
    return s;
  }

  /** Fail every waiter (shutdown) and drop idle connections. */
  close(): void {
    for (const w of this.queue) {
      clearTimeout(w.timer);
      w.resolve({ error: 'aborted' });
    }
    this.queue = [];
    clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
    this.warmAt = Infinity;
    for (const s of this.servers.values()) {
      s.closeIdle();
      s.healthCheck?.stop();
    }
  }

  /** Remove every server (backend deleted by a reload). */
  retire(): void {
    this.applyServers([]);
    this.close();
  }

  view(): BackendView {
    const q = { current: 0, max: 0 };
    return {
      name: this.name,
      servers: [...this.servers.values(), ...this.removing].map((s) => s.view(q)),
    };
  }
}

const notFull = (c: ServerRuntime) => !c.full;
