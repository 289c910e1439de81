// The control side of a multi-worker proxy (`global.workers`): forks the workers with node:cluster, keeps them
// on the pools and health of the control process's BuiltinProxy (role `control`), and sums their counters
// into it before every stats read. The listeners are shared: each worker accepts on the same sockets
// (SCHED_NONE: the kernel spreads connections, no hop through this process).
import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { MainConfig } from '../../main-config/index.js';
import { selfScript } from '../../self.js';
import { errorMessage, WorkerFailed } from '../../errors/index.js';
import type { BuiltinProxy } from '../builtin-proxy.js';
import { absorbCounters, sumCounters } from './counters.js';
import type { FromWorker, PoolState, ToWorker, WorkerCounters } from './messages.js';

/** How long a stats read waits for the workers' counters before using what it has. */
const COUNTERS_TIMEOUT_MS = 1000;

/** `workers: auto` is one per core, as HAProxy's nbthread defaults to. */
export function workerCount(setting: number | 'auto' | undefined, cores: number): number {
  if (setting === 'auto') return Math.max(1, cores);
  return setting ?? 1;
}

/** bin/lbagent.js, from src/proxy/cluster (tsx) or dist/src/proxy/cluster (built). */
function binPath(): string {
  for (const up of ['../../../bin/lbagent.js', '../../../../bin/lbagent.js']) {
    const p = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new WorkerFailed('cannot find bin/lbagent.js to start proxy workers');
}

export class ProxyWorkers {
  private readonly workers = new Set<Worker>();
  private config!: MainConfig;
  private stopping = false;
  private nextId = 1;
  private broadcast?: Promise<void>;
  /** pool broadcasts sent so far */
  private poolsEpoch = 0;

  constructor(
    private readonly count: number,
    private readonly proxy: () => BuiltinProxy,
    private readonly log: Logger,
  ) {}

  /** Fork the workers and wait until every one listens (or one fails: then all stop and this throws). */
  async start(config: MainConfig): Promise<void> {
    this.config = config;
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    // A single executable runs its CLI whatever it is given as a script: the command goes in that place.
    const script = selfScript(binPath);
    cluster.setupPrimary({ exec: script ?? 'proxy-worker', args: script ? ['proxy-worker'] : [], serialization: 'advanced' });
    try {
      await Promise.all(Array.from({ length: this.count }, () => this.fork()));
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const fe of this.proxy().frontends.values()) this.log.info({ frontend: fe.name }, `Proxy ${fe.name} started.`);
    this.log.info(`${this.count} proxy workers started`);
  }

  private fork(): Promise<void> {
    const w = cluster.fork({ LBAGENT_PROXY_WORKER: '1' });
    this.workers.add(w);
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'hello') this.send(w, { type: 'start', config: this.config, pools: this.pools(), workers: this.count, logLevel: this.log.level });
        if (m.type === 'ready') resolve();
        if (m.type === 'failed') reject(new WorkerFailed(m.message));
      };
      w.on('message', onMessage);
      w.once('exit', (code) => reject(new WorkerFailed(`proxy worker exited with code ${code} while starting`)));
    });
    w.once('exit', (code, signal) => {
      this.workers.delete(w);
      if (this.stopping) return;
      // A worker must not die: say so, and start another in its place with the current pools.
      this.log.error({ pid: w.process.pid, code, signal }, `proxy worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting a new one`);
      this.fork().catch((err) => this.log.error({ err }, `proxy worker could not be restarted: ${errorMessage(err)}`));
    });
    return ready;
  }

  private send(w: Worker, m: ToWorker): void {
    if (w.isConnected()) w.send(m);
  }

  /** Servers, admin states, weights and health of every backend, from the control process's proxy. */
  private pools(): PoolState[] {
    return [...this.proxy().backendMap.values()].map((b) => {
      const servers = [...b.servers.values()];
      return {
        name: b.name,
        servers: servers.map((s) => ({
          name: s.name, addr: s.addr, port: s.port, weight: s.weight, backup: s.backup, monitorOnly: s.monitorOnly, state: s.admin,
          ...(s.checked ? { check: { enabled: true } } : {}),
          ...(s.ownSlowstartMs !== undefined ? { slowstart: s.ownSlowstartMs } : {}),
        })),
        health: servers.map((s) => ({ name: s.name, checkUp: s.checkUp, check: s.check, ...(s.warmSince !== undefined ? { warmSince: s.warmSince } : {}) })),
      };
    });
  }

  /**
   * Something changed in the pools: tell every worker once this tick's changes are all made. Resolves when every
   * worker has applied it, so an admin call that returns is in force everywhere (or after a 2 s timeout).
   */
  poolsChanged(): Promise<void> {
    if (this.broadcast) return this.broadcast;
    this.broadcast = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.broadcast = undefined;
      this.poolsEpoch++;
      await this.ask((id) => ({ type: 'pools', id, pools: this.pools() }), 'pools-applied', 2000);
    });
    return this.broadcast;
  }

  /** Apply a new config in every worker (each keeps its listeners for unchanged frontends). */
  async reload(config: MainConfig): Promise<void> {
    this.config = config;
    const errors = await this.ask<{ error?: string }>((id) => ({ type: 'reload', id, config, pools: this.pools() }), 'reloaded', 30_000);
    const failed = errors.find((e) => e.error);
    if (failed) throw new WorkerFailed(`a proxy worker refused the new configuration: ${failed.error}`);
  }

  /** Sum the workers' traffic counters into the control process's proxy (before a stats read). */
  async collect(): Promise<void> {
    const epoch = this.poolsEpoch;
    const pendingBefore = this.broadcast !== undefined;
    const replies = await this.ask<{ counters: WorkerCounters }>((id) => ({ type: 'counters?', id }), 'counters', COUNTERS_TIMEOUT_MS);
    const sum = sumCounters(replies.map((r) => r.counters));
    // Removals settle only on counters that every worker took after the last pool change was sent.
    const settle = !pendingBefore && this.broadcast === undefined && this.poolsEpoch === epoch && replies.length === this.workers.size;
    if (sum) absorbCounters(this.proxy(), sum, settle);
  }

  /** Send one request to every worker and gather the replies that come within `timeoutMs`. */
  private ask<R>(make: (id: number) => ToWorker, reply: FromWorker['type'], timeoutMs: number): Promise<R[]> {
    const id = this.nextId++;
    const targets = [...this.workers].filter((w) => w.isConnected());
    return new Promise((resolve) => {
      const got: R[] = [];
      const listeners = new Map<Worker, (m: FromWorker & { id?: number }) => void>();
      const finish = () => {
        clearTimeout(timer);
        for (const [w, l] of listeners) w.off('message', l);
        resolve(got);
      };
      const timer = setTimeout(finish, timeoutMs);
      const pending = new Set(targets);
      for (const w of targets) {
        const l = (m: FromWorker & { id?: number }) => {
          if (m.type !== reply || m.id !== id) return;
          got.push(m as unknown as R);
          pending.delete(w);
          if (!pending.size) finish();
        };
        listeners.set(w, l);
        w.on('message', l);
        this.send(w, make(id));
      }
      if (!targets.length) finish();
    });
  }

  /** Workers stop accepting, finish in-flight work up to `graceMs`, and exit. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs + 5000);
          w.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          this.send(w, { type: 'stop', graceMs });
          if (!w.isConnected()) w.process.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
  }
}
