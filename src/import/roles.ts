// `--roles role.yml`: the user's roles file (serf-handler style, roles mapped to backends). Every backend it names
// is kept in the output, with no servers if haproxy.cfg had none (gossip fills it); the output names the file
// (`roles: ./role.yml`) when lbagent accepts its format, and says why not otherwise.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadRolesFor } from '../controller/index.js';
import { ImportUnreadable, errorMessage } from '../errors/index.js';
import type { Leftover, Yaml } from './types.js';

/** Backend names a roles file mentions under `lb:`/`monitor:`, in either layout (with or without `roles:`). */
export function backendsNamedBy(doc: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!doc || typeof doc !== 'object') return out;
  const top = doc as Yaml;
  const roles = top.roles && typeof top.roles === 'object' ? (top.roles as Yaml) : top;
  for (const [role, def] of Object.entries(roles)) {
    if (!def || typeof def !== 'object' || role === 'defaults') continue;
    for (const kind of ['lb', 'monitor']) {
      const v = (def as Yaml)[kind];
      for (const ref of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
        const name = typeof ref === 'string' ? ref : ref && typeof ref === 'object' ? (ref as Yaml).backend : undefined;
        if (typeof name !== 'string' || name === 'none' || name === '') continue;
        out.set(name, [...(out.get(name) ?? []), role]);
      }
    }
  }
  return out;
}

export interface RolesOutcome {
  /** `roles:` value for the output, when lbagent accepts the file */
  ref?: string;
  added: string[];
  leftovers: Leftover[];
}

/** Adds the backends the roles name (with no servers) and decides whether `roles:` can point at the file. */
export function applyRoles(config: Yaml, rolesFile: string, outFile: string | undefined): RolesOutcome {
  let text: string;
  try {
    text = readFileSync(rolesFile, 'utf8');
  } catch (err) {
    throw new ImportUnreadable(rolesFile, errorMessage(err));
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined; // not YAML: lbagent's own loader below says where
  }
  const named = backendsNamedBy(doc);
  const backends = ((config.backends ??= {}) as Yaml);
  const listen = (config.listen ?? {}) as Yaml;
  const added: string[] = [];
  for (const [name] of named) {
    if (backends[name] || listen[name]) continue;
    backends[name] = { mode: 'http', servers: [] };
    added.push(name);
  }
  const known = new Set([...Object.keys(backends), ...Object.keys(listen)]);
  const checked = loadRolesFor(rolesFile, known);
  const rel = relative(outFile ? dirname(resolve(outFile)) : process.cwd(), resolve(rolesFile));
  const ref = rel.startsWith('..') || rel.startsWith('/') ? resolve(rolesFile) : `./${rel}`;
  if (checked.ok) return { ref, added, leftovers: [] };
  const errors = checked.errors;
  const first = errors[0]!;
  return {
    added,
    leftovers: [{
      file: rolesFile,
      line: first.line ?? 1,
      text: `roles: ${ref}`,
      reason: `lbagent does not accept this roles file (${errors.length} error${errors.length > 1 ? 's' : ''}, the first: '${first.key}' ${first.message}); 'roles:' is left out of the output (the backends it names are kept)`,
    }],
  };
}
