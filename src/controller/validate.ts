// The one validation of a balancer's files, used by `lbagent check`, by `lbagent balancer` at start and by every
// reload of lbagent.yml or roles.yml: what check refuses is never applied at run time.
import { LBA_ERR_NO_LISTENER, type ConfigError, type ConfigResult, type LoadOptions } from '../config/index.js';
import { loadMainConfig, type MainConfig } from '../config/main.js';
import { resolveModel } from '../proxy/model/index.js';
import { loadBalancerConfig, rolesPath, type BalancerConfig } from './config.js';
import { loadRoles, loadRolesFor, type RolesConfig } from './roles.js';

export interface BalancerFiles {
  main: MainConfig;
  /** the same file with its gossip, controller and roles sections typed */
  control: BalancerConfig;
  /** roles.yml, when `roles:` names one */
  rolesFile?: string;
  /** the roles (from roles.yml or inline); undefined: static pools, no gossip */
  roles?: RolesConfig;
}

export type FilesResult = { ok: true; value: BalancerFiles } | { ok: false; errors: ConfigError[]; noListener?: boolean };

/** Backends roles may name: the built-in proxy's; undefined with `proxy: haproxy` (they live in haproxy.cfg). */
export function knownBackends(main: MainConfig): ReadonlySet<string> | undefined {
  return main.proxy === 'haproxy' ? undefined : new Set(resolveModel(main).backends.map((b) => b.name));
}

/** roles.yml as check reads it: with the built-in proxy, a role naming a backend it lacks is an error there. */
export function loadRolesChecked(file: string, main: MainConfig, opts?: LoadOptions): ConfigResult<RolesConfig> {
  const backends = knownBackends(main);
  return backends ? loadRolesFor(file, backends, opts) : loadRoles(file, opts);
}

export function validateBalancerFiles(file: string, opts?: LoadOptions): FilesResult {
  const main = loadMainConfig(file, opts);
  const errors = main.ok ? [] : [...main.errors];
  const backends = main.ok ? knownBackends(main.value) : undefined;
  const control = loadBalancerConfig(file, opts, backends);
  if (!control.ok) {
    // The two schemas share the proxy sections: report each problem once.
    errors.push(...control.errors.filter((e) => !errors.some((x) => x.line === e.line && x.col === e.col && x.message === e.message)));
    return { ok: false, errors };
  }
  let rolesFile: string | undefined;
  let roles: RolesConfig | undefined;
  if (typeof control.value.roles === 'string') {
    rolesFile = rolesPath(file, control.value.roles);
    const r = main.ok ? loadRolesChecked(rolesFile, main.value, opts) : loadRoles(rolesFile, opts);
    if (r.ok) roles = r.value;
    else errors.push(...r.errors);
  } else {
    roles = control.value.roles;
  }
  if (errors.length || !main.ok) return { ok: false, errors };
  const noListener = listenerError(file, main.value);
  if (noListener) return { ok: false, errors: [noListener], noListener: true };
  return { ok: true, value: { main: main.value, control: control.value, rolesFile, roles } };
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
    code: LBA_ERR_NO_LISTENER,
  };
}
