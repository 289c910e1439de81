#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm ci` runs) when it is
// at least as new as every source file; otherwise (a source checkout being edited) the TypeScript through tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const sourceDir = join(root, 'src');
const source = join(sourceDir, 'cli', 'main.ts');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function builtIsCurrent() {
  if (!existsSync(built) || !existsSync(stamp)) return false;
  if (!existsSync(source)) return true;
  return statSync(stamp).mtimeMs >= newestMtime(sourceDir);
}

let entry = built;
if (process.env.LBAGENT_FROM_SOURCE === '1' || !builtIsCurrent()) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
