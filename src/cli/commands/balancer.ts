// `lbagent balancer -c FILE`: the proxy and its admin API in the foreground.
// SIGTERM/SIGINT: /v1/health says 503 for global.shutdown_delay while everything still serves (keepalived moves the
// VIP away meanwhile), then stop accepting, finish in-flight up to the grace time, leave the gossip cluster, exit 0.
// A second SIGTERM or SIGINT skips what is left of the delay.
// SIGHUP or a change of the file: validate as `lbagent check` does and apply in place, or log the errors and keep
// the running config (controller/reload.ts).
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { loadNodeServices, parseHandlerSpec } from '../../agent/index.js';

/** Long enough for keepalived's default fall (3) × interval (1 s) and one advert: the VIP moves before the stop. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 5000;

/**
 * Resolves `delayMs` after the first SIGTERM/SIGINT (calling `onFirst` then), or at once on a second one. Until
 * then everything keeps serving.
 */
function shutdownSignals(log: { info(o: object, msg: string): void }, onFirst: (sig: string) => void, delayMs: number): { done: Promise<void>; trigger: (why: string) => void } {
  let trigger: (why: string) => void = () => {};
  const done = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onSignal = (sig: string) => {
      if (timer) {
        log.info({ signal: sig }, `${sig} received again: stopping now`);
        clearTimeout(timer);
        return finish();
      }
      onFirst(sig);
      timer = setTimeout(finish, delayMs);
    };
    const term = () => onSignal('SIGTERM');
    const int = () => onSignal('SIGINT');
    const finish = () => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve();
    };
    process.on('SIGTERM', term);
    process.on('SIGINT', int);
    trigger = onSignal;
  });
  return { done, trigger };
}

export const balancer: Command = {
  name: 'balancer',
  summary: 'Run the load balancer: built-in proxy (or HAProxy driver), gossip node and controller',
  usage: `Usage: lbagent balancer -c FILE [--event-handler [FILTER=]SCRIPT ...]

  -c, --config FILE   lbagent.yml (reloaded in place on SIGHUP or when it changes)
  --event-handler [FILTER=]SCRIPT  serf-style event handler, run besides gossip.event_handlers (repeatable)`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, 'event-handler': { type: 'string', multiple: true } }, allowPositionals: false });
    // The data plane and control plane load only when this command runs: other commands (the agent on every
    // app server) stay small.
    const [{ watch }, { formatConfigError }, { createLogger, LogTap }, { startDataPlane }, { startControlPlane }, { validateBalancerFiles }, { createReloader }, { defaultStateDir }] = await Promise.all([
      import('chokidar'),
      import('../../config/index.js'),
      import('../../log/index.js'),
      import('../../proxy/index.js'),
      import('../../balancer/index.js'),
      import('../../balancer/index.js'),
      import('../../balancer/index.js'),
      import('../../balancer/index.js'),
      // loaded with the rest, so the gossip node binds as soon as the data plane is up
      loadNodeServices(),
    ]);
    const file = values.config;
    if (!file) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    for (const spec of values['event-handler'] ?? []) {
      const h = parseHandlerSpec(spec);
      if ('error' in h) {
        process.stderr.write(`[ALERT] --event-handler: ${h.error}\n`);
        return 1;
      }
    }
    // What `lbagent check` refuses does not start (a roles.yml naming an unknown backend, no listener, ...).
    const first = validateBalancerFiles(file);
    if (!first.ok) {
      for (const e of first.errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
      process.stderr.write(`[ALERT] Fatal errors found in configuration (${first.errors.length}).\n`);
      return 1;
    }
    const started = first.value;
    // The tap feeds `serf monitor` / `lbagent monitor` on the balancer's RPC address: the control plane's lines
    // down to debug, as an agent's, but not the access log (one line per request: not what serf's monitor shows,
    // and not worth parsing per request). The tap lowers the root logger to debug, so everything else keeps the
    // operator's level on a child: at `warn` no access record is even built, as without the tap.
    const logTap = new (class extends LogTap {
      override write(line: string): void {
        if (!line.includes('"access":true')) super.write(line);
      }
    })();
    const level = process.env.LBAGENT_LOG_LEVEL ?? started.config.global?.log_level ?? 'info';
    const root = createLogger({ level, tap: logTap });
    const log = root.child({}, { level });
    const handle = await startDataPlane(started.config, log);
    const delayMs = started.config.global?.shutdown_delay ?? DEFAULT_SHUTDOWN_DELAY_MS;
    const stopping = shutdownSignals(log, (sig) => {
      handle.health.stopping(`${sig} received`);
      log.info({ signal: sig, shutdown_delay: delayMs }, `${sig} received: health check now failing; stopping in ${delayMs} ms (send it again to stop now)`);
    }, delayMs);
    let plane: Awaited<ReturnType<typeof startControlPlane>>;
    try {
      // `serf leave` on the balancer's RPC runs the stop sequence, as SIGTERM does.
      const onLeave = async () => stopping.trigger('RPC leave');
      plane = await startControlPlane(started, handle.driver, root, { stateDir: defaultStateDir(), configDir: dirname(file), eventHandlers: values['event-handler'] ?? [], logTap, onLeave, metrics: handle.metrics });
    } catch (err) {
      await handle.stop(0);
      throw err;
    }

    const reload = createReloader(file, started, handle, plane, log);
    process.on('SIGHUP', () => void reload('SIGHUP'));
    const watcher = watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } });
    watcher.on('change', () => void reload('file changed'));
    watcher.on('add', () => void reload('file changed'));

    if (!plane && values['event-handler']?.length) log.warn('--event-handler ignored: no roles configured, so this balancer runs no gossip node');
    const serf = plane?.serf;
    if (serf) {
      handle.health.add('gossip', () => (serf.localMember().status === 'alive' ? undefined : `node ${serf.localMember().status}`));
    }
    await stopping.done;
    log.info('stopping: no new connections, finishing in-flight requests');
    await watcher.close();
    await handle.stop();
    await plane?.stop();
    log.info('Proxy stopped.');
    log.flush?.();
    return 0;
  },
};
