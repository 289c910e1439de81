// `lbagent check -c FILE`: validate a config like `haproxy -c`.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';

export const check: Command = {
  name: 'check',
  summary: 'Validate a config file like haproxy -c (also roles.yml)',
  usage: 'Usage: lbagent check -c FILE\n\n  -c, --config FILE   the lbagent.yml to validate',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const [{ formatConfigError }, { loadMainConfig }] = await Promise.all([import('../../config/index.js'), import('../../config/main.js')]);
    const result = loadMainConfig(values.config);
    if (result.ok) {
      process.stdout.write('Configuration file is valid\n');
      return 0;
    }
    for (const e of result.errors) process.stderr.write(`[ALERT] ${formatConfigError(e)}\n`);
    process.stderr.write(`[ALERT] Fatal errors found in configuration (${result.errors.length}).\n`);
    return 1;
  },
};
