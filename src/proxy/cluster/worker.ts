// A proxy worker (`workers: N` in lbagent.yml): carries traffic on the shared listeners, with the pools and
// health its control process sends; no checks, no admin API. It follows the control process only: signals
// from a terminal are ignored (the control process stops it), and it exits if the control process goes away.
import { resolveModel, type ProxyModel } from '../model/index.js';
import { BuiltinProxy } from '../builtin-proxy.js';
import { createLogger, type Logger } from '../../log/index.js';
import { errorMessage } from '../../errors/index.js';
import { countersOf } from './counters.js';
import type { FromWorker, PoolState, ToWorker } from './messages.js';

const send = (m: FromWorker) => process.send?.(m);

export async function runProxyWorker(): Promise<number> {
  if (!process.send) {
    process.stderr.write('lbagent: the proxy worker is started by `lbagent balancer` (global.workers), not by hand\n');
    return 2;
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => {});
  let proxy: BuiltinProxy | undefined;
  let log: Logger | undefined;
  let workers = 1;
  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => (done = r));
  // Messages are handled one at a time, in order: a pools update never overtakes the reload before it.
  let chain = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    chain = chain.then(() => handle(m)).catch((err) => log?.error({ err }, `proxy worker: ${errorMessage(err)}`));
  });
  send({ type: 'hello' });
  process.on('disconnect', () => {
    void proxy?.stop(0).finally(() => done(0));
    if (!proxy) done(0);
  });

  async function handle(m: ToWorker): Promise<void> {
    switch (m.type) {
      case 'start': {
        workers = m.workers;
        const base = createLogger({ level: m.logLevel });
        // Pool and state changes are logged once, by the control process; workers log traffic and trouble.
        log = base.child({ worker: process.pid }, { level: base.isLevelEnabled('warn') ? 'warn' : m.logLevel });
        try {
          proxy = new BuiltinProxy(shareLimits(resolveModel(m.config), workers), log, base.child({ worker: process.pid }), { role: 'data' });
          applyPools(proxy, m.pools);
          await proxy.start();
          send({ type: 'ready' });
        } catch (err) {
          send({ type: 'failed', message: errorMessage(err) });
          done(1);
        }
        return;
      }
      case 'reload': {
        try {
          await proxy!.reload(shareLimits(resolveModel(m.config), workers));
          applyPools(proxy!, m.pools);
          send({ type: 'reloaded', id: m.id });
        } catch (err) {
          send({ type: 'reloaded', id: m.id, error: errorMessage(err) });
        }
        return;
      }
      case 'pools':
        if (proxy) applyPools(proxy, m.pools);
        send({ type: 'pools-applied', id: m.id });
        return;
      case 'counters?':
        if (proxy) send({ type: 'counters', id: m.id, counters: countersOf(proxy) });
        return;
      case 'stop':
        await proxy?.stop(m.graceMs);
        done(0);
        return;
    }
  }
  return finished;
}

function applyPools(proxy: BuiltinProxy, pools: PoolState[]): void {
  for (const p of pools) {
    const be = proxy.backendMap.get(p.name);
    if (!be) continue;
    be.mirror(p.servers);
    be.applyHealth(p.health);
  }
}

/**
 * Connection limits are for the whole proxy: each of N workers gets its share (rounded up), as HAProxy's
 * threads share one count. A server's maxconn of 10 over 2 workers lets each send it 5 at a time.
 */
export function shareLimits(model: ProxyModel, workers: number): ProxyModel {
  if (workers <= 1) return model;
  const share = (n: number) => Math.max(1, Math.ceil(n / workers));
  return {
    maxconn: share(model.maxconn),
    frontends: model.frontends.map((f) => ({ ...f, maxconn: share(f.maxconn) })),
    backends: model.backends.map((b) => ({ ...b, maxconn: Object.fromEntries(Object.entries(b.maxconn).map(([k, v]) => [k, share(v)])) })),
  };
}
