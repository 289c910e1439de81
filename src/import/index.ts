// The door of `lbagent import`: haproxy.cfg text → lbagent.yml text, with the count of directives carried over and
// the list of those left over (file:line, the directive, why). Steps, one module each: tokenize.ts (HAProxy's
// quoting), sections.ts, global.ts / proxy.ts (one directive at a time, with acl.ts, bind.ts, server.ts, check.ts,
// rules.ts), assemble.ts (what needs the whole file), roles.ts (--roles), writer.ts (YAML).
import { readFileSync } from 'node:fs';
import { ImportNothing, ImportUnreadable, errorMessage } from '../errors/index.js';
import { assemble } from './assemble.js';
import { applyRoles } from './roles.js';
import type { Env } from './tokenize.js';
import { textOf, type Leftover, type Note, type Yaml } from './types.js';
import { writeYaml } from './writer.js';

export type { Leftover, Note } from './types.js';
export { tokenize } from './tokenize.js';
export { parseSections } from './sections.js';

export interface ImportOptions {
  /** the haproxy.cfg to read */
  file: string;
  /** its text (read from `file` when absent) */
  text?: string;
  /** for `${VAR}` in double-quoted values (default: process.env) */
  env?: Env;
  /** the user's roles file (`--roles`) */
  roles?: string;
  /** where the output goes (to write `roles:` relative to it); stdout when absent */
  out?: string;
}

export interface ImportResult {
  config: Yaml;
  yaml: string;
  directives: number;
  carried: number;
  leftovers: Leftover[];
  notes: Note[];
}

export function importHaproxy(opts: ImportOptions): ImportResult {
  let text = opts.text;
  if (text === undefined) {
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ImportUnreadable(opts.file, errorMessage(err));
    }
  }
  const a = assemble(text, opts.file, opts.env);
  if (a.sections === 0) throw new ImportNothing(opts.file);
  const leftovers: Leftover[] = [];
  const notes: Note[] = [...a.notes];
  let carried = 0;
  for (const [d, v] of a.verdicts) {
    const entry = { file: d.file, line: d.line, text: textOf(d) };
    if (typeof v === 'object' && 'left' in v) leftovers.push({ ...entry, reason: v.left });
    else {
      carried++;
      if (typeof v === 'object') notes.push({ ...entry, reason: v.note });
    }
  }
  let directives = a.verdicts.size;
  if (opts.roles) {
    // the roles file counts as one directive: carried over when `roles:` can name it
    const r = applyRoles(a.config, opts.roles, opts.out);
    directives++;
    if (r.ref) {
      a.config.roles = r.ref;
      carried++;
    }
    leftovers.push(...r.leftovers);
    for (const name of r.added) notes.push({ file: opts.roles, line: 1, text: name, reason: `backend '${name}' named by the roles file added with no servers (gossip fills it)` });
  }
  const byLine = (x: Leftover, y: Leftover) => x.file.localeCompare(y.file) || x.line - y.line;
  leftovers.sort(byLine);
  notes.sort(byLine);
  const yaml = writeYaml(a.config, { source: opts.file, directives, carried, leftovers });
  return { config: a.config, yaml, directives, carried, leftovers, notes };
}
