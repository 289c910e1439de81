// Start the data plane from a validated main config: the built-in proxy (or a running HAProxy, `proxy: haproxy`),
// its admin API and stats page. The CLI runs this and starts the control plane (gossip node and controller) on
// top of the returned handle's PoolDriver.
import type { Logger } from 'pino';
import type { MainConfig } from '../main-config/index.js';
import type { PoolDriver } from '../interfaces/index.js';
import { AdminServer } from './admin.js';
import { Health } from './observe/health.js';
import { BuiltinProxy } from './builtin-proxy.js';
import type { Endpoint } from '../net/index.js';
import { resolveModel } from './model/index.js';
import { StatsPageServer } from './observe/stats-page/server.js';
import { ProxyWorkers, workerCount } from './cluster/primary.js';
import { availableParallelism } from 'node:os';
import { isLoopback } from '../config/index.js';
import { errorMessage, ListenFailed } from '../errors/index.js';
import { MetricsHub } from '../metrics/index.js';

export const DEFAULT_ADMIN_BIND: Endpoint = { host: '127.0.0.1', port: 9901 };

export interface DataPlaneHandle {
  driver: PoolDriver;
  proxy: BuiltinProxy;
  /** where the admin API listens */
  admin: Endpoint;
  /** where the stats page listens, when configured */
  stats?: Endpoint;
  /** Apply a new, already validated config in place (listeners of unchanged frontends stay open). */
  reload(config: MainConfig): Promise<void>;
  /** Stop accepting, let in-flight requests finish up to `graceMs` (default: the largest backend grace). */
  stop(graceMs?: number): Promise<void>;
  /** what GET /v1/health answers: the data plane's probe is in; the control plane adds its own */
  health: Health;
  /** what GET /metrics answers: the proxy's families are in; the control plane adds gossip's and the controller's */
  metrics: MetricsHub;
}

export async function startDataPlane(config: MainConfig, logger: Logger): Promise<DataPlaneHandle> {
  if (config.proxy === 'haproxy') return startHaproxyDataPlane(config, logger);
  let model = resolveModel(config);
  const count = workerCount(config.global?.workers, availableParallelism());
  // With several workers this process keeps the pools, checks and stats; the workers carry the traffic.
  let workers: ProxyWorkers | undefined;
  const proxy: BuiltinProxy = new BuiltinProxy(
    model,
    logger,
    logger,
    count > 1 ? { role: 'control', onPoolsChange: async () => workers?.poolsChanged(), freshen: async () => workers?.collect() } : {},
  );
  await proxy.start();
  if (count > 1) {
    workers = new ProxyWorkers(count, () => proxy, logger);
    try {
      await workers.start(config);
    } catch (err) {
      await proxy.stop();
      throw err;
    }
  }
  const health = new Health();
  health.add('listeners', () => listenerProblem(proxy));
  const metrics = new MetricsHub();
  const adminServer = new AdminServer(proxy, { bind: config.admin?.bind ?? DEFAULT_ADMIN_BIND, token: config.admin?.token, health, metrics }, logger);
  try {
    await adminServer.start();
  } catch (err) {
    await proxy.stop();
    throw new ListenFailed('admin API', fmt(config.admin?.bind ?? DEFAULT_ADMIN_BIND), errorMessage(err));
  }
  warnIfOpen(config, logger);
  let statsPage: StatsPageServer | undefined;
  if (config.stats) {
    statsPage = new StatsPageServer(proxy, config.stats, logger);
    try {
      await statsPage.start();
    } catch (err) {
      await Promise.all([proxy.stop(), adminServer.stop()]);
      throw new ListenFailed('stats page', fmt(config.stats.bind), errorMessage(err));
    }
  }
  return {
    driver: proxy,
    proxy,
    health,
    metrics,
    get admin() {
      return adminServer.address();
    },
    get stats() {
      return statsPage?.address();
    },
    async reload(next) {
      const nextModel = resolveModel(next);
      await proxy.reload(nextModel);
      model = nextModel;
      await workers?.reload(next);
      await reloadAdmin(adminServer, next, logger);
      // The stats page follows the file: started, moved, or stopped.
      if (next.stats && statsPage) {
        await statsPage.update(next.stats).catch((err: Error) => logger.error(`stats page: cannot bind ${fmt(next.stats!.bind)} (${err.message}): still on ${fmt(statsPage!.address())}`));
      } else if (next.stats) {
        const page = new StatsPageServer(proxy, next.stats, logger);
        await page.start().then(
          () => (statsPage = page),
          (err: Error) => logger.error(`stats page: cannot bind ${fmt(next.stats!.bind)} (${err.message})`),
        );
      } else if (statsPage) {
        await statsPage.stop();
        statsPage = undefined;
        logger.info('stats page stopped');
      }
      warnIfOpen(next, logger);
      logger.info('configuration reloaded in place');
    },
    async stop(graceMs) {
      const grace = graceMs ?? Math.max(0, ...model.backends.map((b) => b.graceMs));
      await Promise.all([workers?.stop(grace), proxy.stop(grace)]);
      await Promise.all([adminServer.stop(), statsPage?.stop()]);
    },
  };
}

/** admin.token applies to the next request; a new admin.bind opens before the old closes (kept if it cannot). */
async function reloadAdmin(admin: AdminServer, next: MainConfig, logger: Logger): Promise<void> {
  const bind = next.admin?.bind ?? DEFAULT_ADMIN_BIND;
  try {
    await admin.update({ bind, token: next.admin?.token });
  } catch (err) {
    logger.error(`admin API: cannot bind ${fmt(bind)} (${errorMessage(err)}): still listening on ${fmt(admin.address())}`);
  }
}

/** Listeners open to the network without a secret: said once at start and at each reload that keeps them so. */
function warnIfOpen(config: MainConfig, logger: Logger): void {
  const s = config.stats;
  if (s && !s.auth && !isLoopback(s.bind.host)) {
    logger.warn(`stats page on ${fmt(s.bind)} is reachable from the network without stats.auth: anyone who reaches it sees every server`);
  }
  const a = config.admin?.bind ?? DEFAULT_ADMIN_BIND;
  if (!config.admin?.token && !isLoopback(a.host)) {
    logger.warn(`admin API on ${fmt(a)} is reachable from the network without admin.token: anyone who reaches it can change the pools`);
  }
}

function fmt(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/**
 * `proxy: haproxy`: the data plane is a running HAProxy driven through its runtime API. The admin API shows and
 * changes HAProxy's pools; the built-in proxy opens no frontend.
 */
async function startHaproxyDataPlane(config: MainConfig, logger: Logger): Promise<DataPlaneHandle> {
  const { HaproxyDriver } = await import('../drivers/haproxy/index.js');
  const h = config.haproxy;
  if (!h) throw new Error('proxy: haproxy needs a haproxy: section with the runtime API socket');
  const driver = new HaproxyDriver(
    { socket: h.socket, haproxyConfig: h.config, backends: h.backends, resyncMs: h.resync, graceMs: h.grace },
    logger.child({ part: 'haproxy' }),
  );
  driver.start();
  const proxy = new BuiltinProxy({ maxconn: 1, frontends: [], backends: [] }, logger);
  // HAProxy serves the traffic: this balancer serves while its runtime API answers
  const health = new Health();
  health.add('haproxy', async () => ((await driver.backends().then(() => true, () => false)) ? undefined : 'runtime API not answering'));
  // (HAProxy's own exporter has its traffic; /metrics here has the gossip node's, the controller's and the process's)
  const metrics = new MetricsHub();
  const adminServer = new AdminServer(proxy, { bind: config.admin?.bind ?? DEFAULT_ADMIN_BIND, token: config.admin?.token, pools: driver, health, metrics }, logger);
  try {
    await adminServer.start();
  } catch (err) {
    driver.stop();
    throw new ListenFailed('admin API', fmt(config.admin?.bind ?? DEFAULT_ADMIN_BIND), errorMessage(err));
  }
  // (no stats page here: HAProxy has its own)
  warnIfOpen({ ...config, stats: undefined }, logger);
  logger.info(`data plane: HAProxy at ${h.socket} (runtime API, no reloads)`);
  return {
    driver,
    proxy,
    health,
    metrics,
    get admin() {
      return adminServer.address();
    },
    async reload(next) {
      await reloadAdmin(adminServer, next, logger);
      warnIfOpen({ ...next, stats: undefined }, logger);
      logger.info('configuration reloaded; HAProxy pools are kept by the reconcile');
    },
    async stop() {
      driver.stop();
      await adminServer.stop();
    },
  };
}

/** Every frontend has its listeners (in the workers, with global.workers); undefined when all do. */
function listenerProblem(proxy: BuiltinProxy): string | undefined {
  let down = 0;
  for (const fe of proxy.frontends.values()) if (fe.addresses().length === 0) down++;
  return down ? `${down} of ${proxy.frontends.size} frontends not listening` : undefined;
}
