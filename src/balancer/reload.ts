// A reload of lbagent.yml (SIGHUP or an edit of the file): validated exactly as `lbagent check` validates it,
// then applied in place. A refused file leaves the running configuration in force; settings that only a restart
// can change are named in the log and keep their running value.
import type { Logger } from 'pino';
import { formatConfigError } from '../config/index.js';
import type { DataPlaneHandle } from '../proxy/index.js';
import type { ControlPlane } from './control-plane.js';
import { DATA_PLANE_KEY, restartNeeded, restartReason } from './restart.js';
import { validateBalancerFiles, type BalancerFiles } from './validate.js';

/** Reloads run one at a time, in order: each reads the file when its turn comes, so the last edit wins. */
export function createReloader(file: string, started: BalancerFiles, handle: DataPlaneHandle, plane: ControlPlane | undefined, log: Logger): (why: string) => Promise<void> {
  let chain = Promise.resolve();
  const counts = { applied: 0, refused: 0 };
  const reloads = handle.metrics.counter('lbagent_config_reloads_total', 'Reloads of lbagent.yml (SIGHUP or an edit), applied or refused (the running configuration stays)', ['result']);
  handle.metrics.onScrape(() => {
    for (const [result, n] of Object.entries(counts)) reloads.set({ result }, n);
  });
  const run = async (why: string) => {
    const r = validateBalancerFiles(file);
    if (!r.ok) {
      counts.refused++;
      for (const e of r.errors) log.error({ file }, `reload rejected: ${formatConfigError(e)}`);
      log.error({ file, trigger: why }, `reload rejected: Fatal errors found in configuration (${r.errors.length}): keeping the running configuration`);
      return;
    }
    const next = r.value;
    const fixed = restartNeeded(started, next, { logLevelFromEnv: Boolean(process.env.LBAGENT_LOG_LEVEL) });
    if (fixed.includes(DATA_PLANE_KEY)) {
      log.error({ file, key: DATA_PLANE_KEY }, `reload rejected: '${DATA_PLANE_KEY}' changed, a restart is needed (${restartReason(DATA_PLANE_KEY)}): keeping the running configuration`);
      counts.refused++;
      return;
    }
    for (const key of fixed) {
      log.warn({ file, key }, `reload: '${key}' changed but cannot change in place (${restartReason(key)}): restart needed, the running value stays in force`);
    }
    await handle.reload(next.config);
    if (plane && next.roles) await plane.reload(next);
    else plane?.controller.resync(); // a reload resets backends to their static servers: re-apply the live pools
    counts.applied++;
    log.info({ file, trigger: why }, `configuration ${file} applied`);
  };
  return (why) => {
    chain = chain.then(() => run(why)).catch((err: Error) => log.error({ file, err }, `reload failed: ${err.message}: keeping the running configuration`));
    return chain;
  };
}
