// How the demo's banner spells the lbagent command, so that what it prints works where the user typed
// `lbagent demo`: `lbagent` when that name on PATH is this very program (a global install, `npm link`),
// else `node bin/lbagent.js` from the checkout (`npm ci` puts nothing on PATH), or its absolute path elsewhere.
import { realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';

function same(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** The first `lbagent` on PATH is `bin` (through npm's links). */
export function onPath(bin: string, path = process.env.PATH ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'lbagent');
    try {
      realpathSync(candidate);
    } catch {
      continue; // not in this directory
    }
    return same(candidate, bin);
  }
  return false;
}

export function cliSpelling(bin: string, { cwd = process.cwd(), path = process.env.PATH ?? '' }: { cwd?: string; path?: string } = {}): string {
  if (onPath(bin, path)) return 'lbagent';
  const rel = relative(cwd, bin);
  return `node ${rel.startsWith('..') || isAbsolute(rel) ? bin : rel}`;
}
