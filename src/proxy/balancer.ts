// Start the built-in proxy and its admin API from a validated main config. The CLI runs this; the controller
// engineer adds the gossip node and controller on top of the returned handle (its PoolDriver).
import type { Logger } from 'pino';
import type { MainConfig } from '../config/main.js';
import type { PoolDriver } from '../interfaces/pool-driver.js';
import { AdminServer } from './admin.js';
import { BuiltinProxy } from './builtin-proxy.js';
import type { Endpoint } from '../config/index.js';
import { resolveModel } from './model.js';
import { StatsPageServer } from './stats-page/server.js';
import { ProxyWorkers, workerCount } from './cluster/primary.js';
import { availableParallelism } from 'node:os';

export const DEFAULT_ADMIN_BIND: Endpoint = { host: '127.0.0.1', port: 9901 };

export interface BalancerHandle {
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
}

export async function startBalancer(config: MainConfig, logger: Logger): Promise<BalancerHandle> {
  if (config.proxy === 'haproxy') return startHaproxyBalancer(config, logger);
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
  const adminServer = new AdminServer(proxy, { bind: config.admin?.bind ?? DEFAULT_ADMIN_BIND, token: config.admin?.token }, logger);
  let admin: Endpoint;
  try {
    admin = await adminServer.start();
  } catch (err) {
    await proxy.stop();
    throw new Error(`admin API: cannot bind ${fmt(config.admin?.bind ?? DEFAULT_ADMIN_BIND)} (${(err as Error).message})`);
  }
  let statsPage: StatsPageServer | undefined;
  let stats: Endpoint | undefined;
  if (config.stats) {
    statsPage = new StatsPageServer(proxy, config.stats, logger);
    try {
      stats = await statsPage.start();
    } catch (err) {
      await Promise.all([proxy.stop(), adminServer.stop()]);
      throw new Error(`stats page: cannot bind ${fmt(config.stats.bind)} (${(err as Error).message})`);
    }
  }
  return {
    driver: proxy,
    proxy,
    admin,
    stats,
    async reload(next) {
      model = resolveModel(next);
      await proxy.reload(model);
      await workers?.reload(next);
      if (next.stats && statsPage) statsPage.update(next.stats);
      logger.info('configuration reloaded in place');
    },
    async stop(graceMs) {
      const grace = graceMs ?? Math.max(0, ...model.backends.map((b) => b.graceMs));
      await Promise.all([workers?.stop(grace), proxy.stop(grace)]);
      await Promise.all([adminServer.stop(), statsPage?.stop()]);
    },
  };
}

function fmt(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/**
 * `proxy: haproxy`: the data plane is a running HAProxy driven through its runtime API. The admin API shows and
 * changes HAProxy's pools; the built-in proxy opens no frontend.
 */
async function startHaproxyBalancer(config: MainConfig, logger: Logger): Promise<BalancerHandle> {
  const { HaproxyDriver } = await import('../drivers/haproxy/driver.js');
  const h = config.haproxy;
  if (!h) throw new Error('proxy: haproxy needs a haproxy: section with the runtime API socket');
  const driver = new HaproxyDriver(
    { socket: h.socket, haproxyConfig: h.config, backends: h.backends, resyncMs: h.resync, graceMs: h.grace },
    logger.child({ part: 'haproxy' }),
  );
  driver.start();
  const proxy = new BuiltinProxy({ maxconn: 1, frontends: [], backends: [] }, logger);
  const adminServer = new AdminServer(proxy, { bind: config.admin?.bind ?? DEFAULT_ADMIN_BIND, token: config.admin?.token, pools: driver }, logger);
  let admin: Endpoint;
  try {
    admin = await adminServer.start();
  } catch (err) {
    driver.stop();
    throw new Error(`admin API: cannot bind ${fmt(config.admin?.bind ?? DEFAULT_ADMIN_BIND)} (${(err as Error).message})`);
  }
  logger.info(`data plane: HAProxy at ${h.socket} (runtime API, no reloads)`);
  return {
    driver,
    proxy,
    admin,
    async reload() {
      logger.info('configuration reloaded; HAProxy pools are kept by the reconcile');
    },
    async stop() {
      driver.stop();
      await adminServer.stop();
    },
  };
}
