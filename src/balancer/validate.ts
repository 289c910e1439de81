// The one validation of a balancer's files, used by `lbagent check`, by `lbagent balancer` at start and by every
// reload of lbagent.yml or roles.yml: what check refuses is never applied at run time.
import { NoListener } from '../errors/index.js';
import { type ConfigError, type ConfigResult, type LoadOptions } from '../config/index.js';
import { knownBackends, loadMainConfig, type MainConfig } from '../main-config/index.js';
import { rolesPath } from '../controller/index.js';
import { loadRoles, loadRolesFor, type RolesConfig } from '../controller/index.js';

export interface BalancerFiles {
  /** lbagent.yml, read once: the data plane's sections and the control plane's */
  config: MainConfig;
  /** roles.yml, when `roles:` names one */
  rolesFile?: string;
  /** the roles (from roles.yml or inline); undefined: static pools, no gossip */
  roles?: RolesConfig;
}

export type FilesResult = { ok: true; value: BalancerFiles } | { ok: false; errors: ConfigError[]; noListener?: boolean };

/** roles.yml as check reads it: with the built-in proxy, a role naming a backend it lacks is an error there. */
export function loadRolesChecked(file: string, config: MainConfig, opts?: LoadOptions): ConfigResult<RolesConfig> {
  const backends = knownBackends(config);
  return backends ? loadRolesFor(file, backends, opts) : loadRoles(file, opts);
}

export function validateBalancerFiles(file: string, opts?: LoadOptions): FilesResult {
  const loaded = loadMainConfig(file, { ...opts, checked: true });
  if (!loaded.ok) return { ok: false, errors: loaded.errors };
  const config = loaded.value;
  let rolesFile: string | undefined;
  let roles: RolesConfig | undefined;
  if (typeof config.roles === 'string') {
    rolesFile = rolesPath(file, config.roles);
    const r = loadRolesChecked(rolesFile, config, opts);
    if (!r.ok) return { ok: false, errors: r.errors };
    roles = r.value;
  } else {
    roles = config.roles;
  }
  const noListener = listenerError(file, config);
  if (noListener) return { ok: false, errors: [noListener], noListener: true };
  return { ok: true, value: { config, rolesFile, roles } };
}

/**
 * As HAProxy, a config with nothing to listen on is refused (haproxy -c: "will not start (no listener)"): an
 * emptied or truncated file must not stop every frontend. With `proxy: haproxy` HAProxy owns the listeners.
 */
function listenerError(file: string, main: MainConfig): ConfigError | undefined {
  if (main.proxy === 'haproxy') return undefined;
  if (Object.keys(main.frontends ?? {}).length || Object.keys(main.listen ?? {}).length) return undefined;
  const empty = Object.keys(main).length === 0;
  return {
    file,
    line: 1,
    col: 1,
    key: '',
    message: empty ? 'the file is empty: no listener' : 'no listener: no frontends and no listen section',
    expected: "at least one frontend or listen with a bind, or 'proxy: haproxy'",
    code: NoListener.code,
  };
}
