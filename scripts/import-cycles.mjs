#!/usr/bin/env node
// Import cycles among src/**/*.ts, type imports included (a cycle of types still means no file of it reads on
// its own). Usage: node scripts/import-cycles.mjs [folder-prefix ...]   e.g. src/proxy
// Prints each cycle (strongly connected component) whose files are all under one of the prefixes; exits 1 if any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

// Static imports and re-exports (`import … from`, `import type … from`, `export … from`, `import '…'`), and
// dynamic `import('…')` with a literal: every edge a reader (or a bundler) follows.
const SPEC = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** file (relative to the repository) → the relative files it imports */
export function importGraph(srcDir = join(root, 'src')) {
  const graph = new Map();
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(SPEC)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      deps.add(relative(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
    }
    graph.set(relative(root, file), [...deps]);
  }
  return graph;
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
export function cycles(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Cycles whose files all lie under one of `prefixes` (all cycles when none is given). */
export function cyclesUnder(prefixes = []) {
  const all = cycles(importGraph());
  if (!prefixes.length) return all;
  return all.filter((scc) => prefixes.some((p) => scc.every((f) => f.startsWith(p))));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = cyclesUnder(process.argv.slice(2));
  for (const scc of found) console.log(`cycle: ${scc.join(' ↔ ')}`);
  if (found.length) process.exit(1);
  console.log('no import cycles');
}
