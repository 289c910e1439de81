#!/usr/bin/env node
// Entry point. An installed package (`npm install -g lbagent-*.tgz`, the container image) has no TypeScript
// sources: it runs the compiled JavaScript in dist/, which `npm pack` builds and ships (tsx is a dev dependency and
// is not installed there). A source checkout runs dist/ (built by `npm ci` through `prepare`) while it is at least
// as new as every source file; otherwise (sources being edited) the TypeScript through tsx.
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
  if (!existsSync(built)) return false;
  if (!existsSync(source)) return true; // an installed package: dist/ is all there is
  if (!existsSync(stamp)) return false;
  return statSync(stamp).mtimeMs >= newestMtime(sourceDir);
}

let entry = built;
if (process.env.LBAGENT_FROM_SOURCE === '1' || !builtIsCurrent()) {
  if (!existsSync(source)) {
    process.stderr.write(`lbagent: ${built} is missing: this copy of lbagent is incomplete (reinstall it; a tarball made by \`npm pack\` ships dist/)\n`);
    process.exit(1);
  }
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
