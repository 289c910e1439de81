// `lbagent import haproxy.cfg [-o lbagent.yml] [--roles role.yml]`: an existing HAProxy configuration as lbagent.yml.
// What could not be carried over is listed on stderr (file:line: directive -- why); the exit status says whether
// anything was left: 0 all carried over, 2 written with leftovers, 1 nothing written (unreadable or no section).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';

const USAGE = `Usage: lbagent import HAPROXY.CFG [-o LBAGENT.YML] [--roles ROLE.YML]

Reads an HAProxy configuration (global, defaults, frontend, backend, listen) and writes the equivalent
lbagent.yml (to stdout without -o). Every directive that could not be carried over is listed on stderr as
FILE:LINE: DIRECTIVE -- WHY, and in the output's header comment.

  -o, --out FILE      write the lbagent config there (validate it with: lbagent check -c FILE)
  --roles FILE        the roles file (role.yml) to reference as 'roles:'; backends it names are kept
  -q, --quiet         do not print the notes (directives carried over with a difference)

Exit status: 0 everything was carried over; 2 the config was written, with leftovers;
             1 nothing was written (the file could not be read, or has no HAProxy section).`;

export const importCommand: Command = {
  name: 'import',
  summary: 'Convert a haproxy.cfg into lbagent.yml, listing what could not be carried over',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { out: { type: 'string', short: 'o' }, roles: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
      allowPositionals: true,
    });
    if (positionals.length !== 1) {
      process.stderr.write(`${USAGE}\n`);
      return 1;
    }
    const [{ importHaproxy }, { isLbaError }] = await Promise.all([import('../../import/index.js'), import('../../errors/index.js')]);
    let r;
    try {
      r = importHaproxy({ file: positionals[0]!, roles: values.roles, out: values.out });
    } catch (err) {
      if (!isLbaError(err)) throw err;
      process.stderr.write(`${err.message} (${err.code})\n`);
      return 1;
    }
    if (values.out) {
      try {
        writeFileSync(values.out, r.yaml);
      } catch (err) {
        const { ImportUnwritable, errorMessage } = await import('../../errors/index.js');
        const e = new ImportUnwritable(values.out, errorMessage(err));
        process.stderr.write(`${e.message} (${e.code})\n`);
        return 1;
      }
    } else process.stdout.write(r.yaml);
    if (!values.quiet) for (const n of r.notes) process.stderr.write(`note: ${n.file}:${n.line}: ${n.text} -- ${n.reason}\n`);
    for (const l of r.leftovers) process.stderr.write(`left over: ${l.file}:${l.line}: ${l.text} -- ${l.reason}\n`);
    const where = values.out ? ` into ${values.out}` : '';
    process.stderr.write(`${r.directives} directives: ${r.carried} carried over${where}, ${r.leftovers.length} left over.\n`);
    return r.leftovers.length ? 2 : 0;
  },
};
