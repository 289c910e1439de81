// Follow roles.yml on disk: a valid change is handed over to be applied in place; an invalid one is
// rejected with its file:line:col errors logged, and the last good roles stay in force.
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { formatConfigError, type ConfigResult } from '../config/index.js';
import { loadRoles, type RolesConfig } from './roles.js';

export interface RolesWatcher {
  close(): Promise<void>;
  /** Resolves once chokidar watches the file (tests edit it only after). */
  ready: Promise<void>;
}

/**
 * `load` validates the file: the balancer passes check's own rules (validate.ts: roles checked against the
 * running backends), so a roles.yml that `lbagent check` rejects is never applied.
 */
export function watchRoles(
  file: string,
  onValid: (roles: RolesConfig) => void,
  log: Logger,
  load: (file: string) => ConfigResult<RolesConfig> = loadRoles,
  onRefused?: () => void,
): RolesWatcher {
  const watcher: FSWatcher = watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } });
  const reload = () => {
    const r = load(file);
    if (!r.ok) {
      for (const e of r.errors) log.error({ file }, `roles rejected: ${formatConfigError(e)}`);
      log.warn({ file }, `keeping the last good roles from ${file}`);
      onRefused?.();
      return;
    }
    log.info({ file, roles: Object.keys(r.value.roles) }, `roles ${file} applied`);
    onValid(r.value);
  };
  watcher.on('change', reload);
  watcher.on('add', reload);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
}
