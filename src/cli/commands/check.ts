// `lbagent check -c FILE`: validate a config like `haproxy -c`: the proxy sections, the gossip and controller
// sections, and the roles (inline or the roles.yml it names), whose backends must exist.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';

export const check: Command = {
  name: 'check',
  summary: 'Validate a config file like haproxy -c (also the roles.yml it names)',
  usage: 'Usage: lbagent check -c FILE\n\n  -c, --config FILE   the lbagent.yml to validate (with its gossip, controller and roles sections, and roles.yml)',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    const file = values.config;
    if (!file) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const [{ formatConfigError }, { loadMainConfig }, { loadBalancerConfig, rolesPath }, { loadRoles, loadRolesFor }, { resolveModel }] = await Promise.all([
      import('../../config/index.js'),
      import('../../config/main.js'),
      import('../../controller/config.js'),
      import('../../controller/roles.js'),
      import('../../proxy/model.js'),
    ]);
    const main = loadMainConfig(file);
    const errors = main.ok ? [] : [...main.errors];
    // With the built-in proxy the backends are in this file, so roles are checked against them; with
    // `proxy: haproxy` they live in haproxy.cfg and only the roles' shape is checked.
    const backends = main.ok && main.value.proxy !== 'haproxy' ? new Set(resolveModel(main.value).backends.map((b) => b.name)) : undefined;
    const control = loadBalancerConfig(file, undefined, backends);
    if (!control.ok) errors.push(...control.errors.filter((e) => !errors.some((x) => x.line === e.line && x.col === e.col && x.message === e.message)));
    else if (typeof control.value.roles === 'string') {
      const rolesFile = rolesPath(file, control.value.roles);
      const roles = backends ? loadRolesFor(rolesFile, backends) : loadRoles(rolesFile);
      if (!roles.ok) errors.push(...roles.errors);
    }
    if (!errors.length) {
      process.stdout.write('Configuration file is valid\n');
      return 0;
    }
    for (const e of errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
    process.stderr.write(`[ALERT] Fatal errors found in configuration (${errors.length}).\n`);
    return 1;
  },
};
