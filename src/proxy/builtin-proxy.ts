// The built-in data plane as a PoolDriver: frontends and backends from the config, pools changed in place.
import type { Logger } from 'pino';
import type { AdminState, ApplyResult, BackendView, PoolDriver, ServerSpec } from '../interfaces/pool-driver.js';
import { BackendRuntime, NotFound } from './backend.js';
import type { EngineContext } from './context.js';
import { ConnLimit, FrontendRuntime } from './frontend.js';
import type { FrontendDef, ProxyModel } from './model.js';

export { NotFound };

export class BuiltinProxy implements PoolDriver {
  readonly kind = 'builtin' as const;
  readonly frontends = new Map<string, FrontendRuntime>();
  readonly backendMap = new Map<string, BackendRuntime>();
  private readonly ctx: EngineContext;
  private readonly global: ConnLimit;
  readonly startedAt = Date.now();

  constructor(private model: ProxyModel, private readonly log: Logger, accessLog: Logger = log) {
    this.global = new ConnLimit(model.maxconn);
    this.ctx = { log, accessLog, backend: (name) => this.backendMap.get(name) };
    for (const b of model.backends) this.backendMap.set(b.name, new BackendRuntime(b, log));
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
    try {
      await fe.listen();
    } catch (err) {
      await fe.stop();
      throw new Error(`Starting frontend ${def.name}: cannot bind socket (${(err as Error).message})`);
    }
    this.frontends.set(def.name, fe);
  }

  /**
   * Apply a new model in place: unchanged frontends keep their listeners (a frontend whose binds changed is
   * re-opened; other changes apply to new requests), backends are diffed server by server.
   */
  async reload(model: ProxyModel): Promise<void> {
    this.global.max = model.maxconn;
    const nextBackends = new Map(model.backends.map((b) => [b.name, b]));
    for (const [name, be] of this.backendMap) {
      const def = nextBackends.get(name);
      if (def) be.redefine(def);
    }
    for (const [name, def] of nextBackends) if (!this.backendMap.has(name)) this.backendMap.set(name, new BackendRuntime(def, this.log));
    const nextFrontends = new Map(model.frontends.map((f) => [f.name, f]));
    for (const [name, fe] of this.frontends) {
      const def = nextFrontends.get(name);
      if (def && sameBinds(def, fe.def) && def.mode === fe.def.mode && Boolean(def.ssl) === Boolean(fe.def.ssl)) {
        fe.def = def;
        fe.refreshTls();
      }
      else {
        await fe.stop();
        this.frontends.delete(name);
        this.log.info({ frontend: name }, `Proxy ${name} stopped.`);
      }
    }
    for (const [name, def] of nextFrontends) if (!this.frontends.has(name)) await this.openFrontend(def);
    // Backends gone from the config: their servers drain like removed ones.
    for (const [name, be] of this.backendMap) {
      if (!nextBackends.has(name)) {
        be.retire();
        this.backendMap.delete(name);
      }
    }
    this.model = model;
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
  }

  backend(name: string): BackendRuntime {
    const be = this.backendMap.get(name);
    if (!be) throw new NotFound(`no such backend '${name}'`);
    return be;
  }

  async backends(): Promise<string[]> {
    return [...this.backendMap.keys()];
  }

  async setServers(backend: string, servers: ServerSpec[]): Promise<ApplyResult> {
    return this.backend(backend).applyServers(servers);
  }

  async setState(backend: string, server: string, state: AdminState): Promise<void> {
    this.backend(backend).setState(server, state);
  }

  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    this.backend(backend).setWeight(server, weight);
  }

  async snapshot(): Promise<BackendView[]> {
    return [...this.backendMap.values()].map((b) => b.view());
  }

  get connections(): number {
    return this.global.current;
  }
}

function sameBinds(a: FrontendDef, b: FrontendDef): boolean {
  return JSON.stringify(a.binds) === JSON.stringify(b.binds);
}
