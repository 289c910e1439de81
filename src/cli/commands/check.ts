// `lbagent check -c FILE`: validate a config like `haproxy -c`: the proxy sections, the gossip and controller
// sections, and the roles (inline or the roles.yml it names), whose backends must exist; exit 2 without listener.
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
    const [{ formatConfigError }, { validateBalancerFiles }] = await Promise.all([import('../../config/index.js'), import('../../balancer/index.js')]);
    // The same validation the balancer applies at start and at every reload.
    const r = validateBalancerFiles(file);
    if (r.ok) {
      process.stdout.write('Configuration file is valid\n');
      return 0;
    }
    if (r.noListener) {
      // haproxy -c's own words and exit code for a config without listeners; the position and code on stderr
      for (const e of r.errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
      process.stdout.write('Configuration file has no error but will not start (no listener) => exit(2).\n');
      return 2;
    }
    const errors = r.errors;
    for (const e of errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
    process.stderr.write(`[ALERT] Fatal errors found in configuration (${errors.length}).\n`);
    return 1;
  },
};
