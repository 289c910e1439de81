// `lbagent balancer -c FILE`: the proxy and its admin API in the foreground.
// SIGTERM/SIGINT: stop accepting, finish in-flight up to the grace time, exit 0.
// SIGHUP or a change of the file: validate and apply in place, or log the errors and keep the running config.
import { parseArgs } from 'node:util';
import type { startControlPlane } from '../../controller/balancer.js';
import type { Command } from '../command.js';

export const balancer: Command = {
  name: 'balancer',
  summary: 'Run the load balancer: built-in proxy (or HAProxy driver), gossip node and controller',
  usage: 'Usage: lbagent balancer -c FILE\n\n  -c, --config FILE   lbagent.yml (reloaded in place on SIGHUP or when it changes)',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    // The data plane and control plane load only when this command runs: other commands (the agent on every
    // app server) stay small.
    const [{ watch }, { formatConfigError }, { loadMainConfig }, { createLogger }, { startBalancer }, { startControlPlane }, { loadBalancerConfig }] = await Promise.all([
      import('chokidar'),
      import('../../config/index.js'),
      import('../../config/main.js'),
      import('../../log/logger.js'),
      import('../../proxy/balancer.js'),
      import('../../controller/balancer.js'),
      import('../../controller/config.js'),
    ]);
    const file = values.config;
    if (!file) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const first = loadMainConfig(file);
    if (!first.ok) {
      for (const e of first.errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
      return 1;
    }
    // The gossip/controller/roles sections, validated with positions by the controller's schema.
    const control = loadBalancerConfig(file);
    if (!control.ok) {
      for (const e of control.errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
      return 1;
    }
    const log = createLogger({ level: process.env.LBAGENT_LOG_LEVEL ?? first.value.global?.log_level });
    const handle = await startBalancer(first.value, log);
    let plane: Awaited<ReturnType<typeof startControlPlane>>;
    try {
      plane = await startControlPlane(file, control.value, handle.driver, log);
    } catch (err) {
      await handle.stop(0);
      throw err;
    }

    let reloading = Promise.resolve();
    const reload = (why: string) => {
      reloading = reloading.then(async () => {
        const next = loadMainConfig(file);
        if (!next.ok) {
          for (const e of next.errors) log.error({ file }, `reload rejected: ${formatConfigError(e)}`);
          log.warn({ file }, 'keeping the running configuration');
          return;
        }
        try {
          await handle.reload(next.value);
          plane?.controller.resync(); // a reload resets backends to their static servers: re-apply the live pools
          log.info({ file, trigger: why }, `configuration ${file} applied`);
        } catch (err) {
          log.error({ file, err }, `reload failed: ${(err as Error).message}`);
        }
      });
    };
    process.on('SIGHUP', () => reload('SIGHUP'));
    const watcher = watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } });
    watcher.on('change', () => reload('file changed'));
    watcher.on('add', () => reload('file changed'));

    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log.info({ signal: sig }, `${sig} received: stopping, finishing in-flight requests`);
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await watcher.close();
    await plane?.stop();
    await handle.stop();
    log.info('Proxy stopped.');
    log.flush?.();
    return 0;
  },
};
