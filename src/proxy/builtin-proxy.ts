// The built-in data plane as a PoolDriver: frontends and backends from the config, pools changed in place.
import type { Logger } from 'pino';
import type { AdminState, ApplyResult, BackendView, PoolDriver, ServerSpec, SetServersOptions } from '../interfaces/index.js';
import { BindFailed, errorMessage, NotFound } from '../errors/index.js';
import { BackendRuntime } from './engine/backend.js';
import type { EngineContext } from './engine/context.js';
import { ConnLimit, FrontendRuntime } from './frontend.js';
import type { BackendDef, FrontendDef, ProxyModel } from './model/defs.js';
import type { WorkerShare } from './cluster/messages.js';
import { LogSinks, sinkKey } from './observe/log-sink.js';

/**
 * `single`: one process does everything. With `workers: N` the work is split: the `control` process owns pools,
 * health checks and stats (it opens no listener); each `data` process (a worker) carries traffic, mirroring
 * the control process's pools and health (see cluster/).
 */
export type ProxyRole = 'single' | 'control' | 'data';

export interface ProxyOptions {
  role?: ProxyRole;
  /**
   * A pool, state, weight or health change happened (the control process tells its workers); the promise
   * settles when they all applied it.
   */
  onPoolsChange?: () => Promise<void>;
  /** refresh traffic counters before a read of the stats (the control process asks its workers) */
  freshen?: () => Promise<void>;
}

export class BuiltinProxy implements PoolDriver {
  readonly kind = 'builtin' as const;
  readonly frontends = new Map<string, FrontendRuntime>();
  readonly backendMap = new Map<string, BackendRuntime>();
  private readonly ctx: EngineContext;
  private readonly global: ConnLimit;
  readonly startedAt = Date.now();

  readonly role: ProxyRole;

  constructor(private model: ProxyModel, private readonly log: Logger, accessLog: Logger = log, private readonly opts: ProxyOptions = {}) {
    this.role = opts.role ?? 'single';
    this.global = new ConnLimit(model.maxconn);
    this.ctx = { log, accessLog, sinks: new LogSinks(log), conns: this.global, backend: (name) => this.backendMap.get(name) };
    for (const b of model.backends) this.backendMap.set(b.name, this.newBackend(b));
  }

  private newBackend(def: BackendDef): BackendRuntime {
    const changed = this.opts.onPoolsChange;
    return new BackendRuntime(def, this.log, {
      externalHealth: this.role === 'data',
      sessionsElsewhere: this.role === 'control',
      onChange: changed && (() => void changed()),
    });
  }

  /** Up-to-date traffic counters before a stats read (a no-op in a single process). */
  async freshen(): Promise<void> {
    await this.opts.freshen?.();
  }

  async start(): Promise<void> {
    try {
      for (const f of this.model.frontends) await this.openFrontend(f);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async openFrontend(def: FrontendDef): Promise<void> {
    const fe = new FrontendRuntime(def, this.ctx, this.global);
    if (this.role === 'control') {
      // Counted here, listened to by the workers.
      fe.reported = def.binds;
      this.frontends.set(def.name, fe);
      return;
    }
    try {
      await fe.listen();
    } catch (err) {
      await fe.stop();
      throw new BindFailed(def.name, errorMessage(err));
    }
    this.frontends.set(def.name, fe);
  }

  /**
   * Apply a new model in place: unchanged frontends keep their listeners (a frontend whose binds changed is
   * re-opened; other changes apply to new requests), backends are diffed server by server. Listeners are opened
   * before anything changes, so a bind that fails refuses the whole reload and the running config stays as it was.
   */
  async reload(model: ProxyModel): Promise<void> {
    const nextFrontends = new Map(model.frontends.map((f) => [f.name, f]));
    const replaced = [...this.frontends.values()].filter((fe) => {
      const def = nextFrontends.get(fe.name);
      return !def || !keepsListeners(def, fe.def);
    });
    const opened = await this.openAhead(model.frontends.filter((d) => !this.frontends.has(d.name) || replaced.some((fe) => fe.name === d.name)), replaced);

    this.global.max = model.maxconn;
    const nextBackends = new Map(model.backends.map((b) => [b.name, b]));
    for (const [name, be] of this.backendMap) {
      const def = nextBackends.get(name);
      if (def) be.redefine(def);
    }
    for (const [name, def] of nextBackends) if (!this.backendMap.has(name)) this.backendMap.set(name, this.newBackend(def));
    for (const [name, fe] of this.frontends) {
      const def = nextFrontends.get(name);
      if (def && !replaced.includes(fe)) {
        fe.def = def;
        fe.refreshTls();
      }
    }
    for (const fe of replaced) {
      await fe.stop();
      this.frontends.delete(fe.name);
      this.log.info({ frontend: fe.name }, `Proxy ${fe.name} stopped.`);
    }
    for (const def of model.frontends) {
      if (this.frontends.has(def.name)) continue;
      const fe = opened.get(def.name);
      if (fe) this.frontends.set(def.name, fe);
      // its address was held by the frontend it replaces, free now
      else await this.openFrontend(def);
    }
    // log targets no frontend names any more: their sockets close
    this.ctx.sinks.retain(new Set(model.frontends.flatMap((f) => f.log.targets.map((t) => sinkKey(t.target)))));
    // Backends gone from the config: their servers drain like removed ones.
    for (const [name, be] of this.backendMap) {
      if (!nextBackends.has(name)) {
        be.retire();
        this.backendMap.delete(name);
      }
    }
    this.model = model;
  }

  /**
   * Open the listeners a reload needs before it changes anything. A frontend that re-binds an address a replaced
   * frontend holds is opened after that one stops (left out of the map); any other failure closes what was
   * opened and refuses the reload.
   */
  private async openAhead(defs: FrontendDef[], replaced: FrontendRuntime[]): Promise<Map<string, FrontendRuntime>> {
    const opened = new Map<string, FrontendRuntime>();
    if (this.role === 'control') return opened; // the workers listen; openFrontend only counts
    const held = replaced.flatMap((fe) => fe.def.binds);
    try {
      for (const def of defs) {
        if (def.binds.some((b) => held.some((h) => sameAddress(b, h)))) continue;
        const fe = new FrontendRuntime(def, this.ctx, this.global);
        try {
          await fe.listen();
        } catch (err) {
          await fe.stop();
          throw new BindFailed(def.name, errorMessage(err));
        }
        opened.set(def.name, fe);
      }
    } catch (err) {
      await Promise.all([...opened.values()].map((fe) => fe.stop()));
      throw err;
    }
    return opened;
  }

  /** Stop accepting, let in-flight exchanges finish up to `graceMs`, then cut what is left. */
  async stop(graceMs = 0): Promise<void> {
    await Promise.all([...this.frontends.values()].map((f) => f.stop()));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.frontends.values()].some((f) => f.connections > 0)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const f of this.frontends.values()) f.destroyAll();
    for (const b of this.backendMap.values()) b.close();
    // the cut sessions log as their sockets close (next turn of the loop): then the log targets close
    await new Promise((r) => setImmediate(r));
    this.ctx.sinks.retain();
  }

  backend(name: string): BackendRuntime {
    const be = this.backendMap.get(name);
    if (!be) throw new NotFound(`no such backend '${name}'`);
    return be;
  }

  async backends(): Promise<string[]> {
    return [...this.backendMap.keys()];
  }

  // With workers, a change resolves once every worker applied it: no new request goes where it no longer should.
  async setServers(backend: string, servers: ServerSpec[], opts: SetServersOptions = {}): Promise<ApplyResult> {
    const be = this.backend(backend);
    const result = opts.keepStatic ? be.applyDiscovered(servers) : be.applyServers(servers);
    await this.opts.onPoolsChange?.();
    return result;
  }

  async setState(backend: string, server: string, state: AdminState): Promise<void> {
    this.backend(backend).setState(server, state);
    await this.opts.onPoolsChange?.();
  }

  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    this.backend(backend).setWeight(server, weight);
    await this.opts.onPoolsChange?.();
  }

  async snapshot(): Promise<BackendView[]> {
    await this.freshen();
    return [...this.backendMap.values()].map((b) => b.view());
  }

  /** connections open in the workers (control process of a multi-worker proxy) */
  connectionsElsewhere = 0;
  /** what each worker carried, as of the last stats read (control process) */
  workerShares?: WorkerShare[];

  get connections(): number {
    return this.global.current + this.connectionsElsewhere;
  }
}

/** A frontend whose binds, mode and TLS are unchanged keeps its listeners. */
function keepsListeners(next: FrontendDef, running: FrontendDef): boolean {
  return JSON.stringify(next.binds) === JSON.stringify(running.binds) && next.mode === running.mode && Boolean(next.ssl) === Boolean(running.ssl);
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Two binds that cannot both be open: same port, and the same host or a wildcard on either side. */
function sameAddress(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port !== 0 && a.port === b.port && (a.host === b.host || WILDCARD.has(a.host) || WILDCARD.has(b.host));
}
