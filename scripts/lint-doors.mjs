#!/usr/bin/env node
// Writes .oxlintrc.json: the base rules below, and the door rule of src/ as oxlint overrides, one per folder.
// A part of src/ is a top-level folder (or, for a folder that only groups others, like wire/ and drivers/, each
// folder in it); its index.ts is its only face to other parts, so an import from another part must end in
// `<part>/index.js`. Files inside a part import each other directly; tests and benches may reach inside.
// The proxy has a second door, proxy/model/index.ts (its config language; see docs/design.md).
// Usage: node scripts/lint-doors.mjs           rewrite .oxlintrc.json
//        node scripts/lint-doors.mjs --check   fail if it is not what this script writes, or a part has no door
//                                              (npm run lint runs this first, so a new folder cannot slip past)
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const src = join(root, 'src');
const CONFIG = join(root, '.oxlintrc.json');

/** Doors besides `<part>/index.ts`. */
const EXTRA_DOORS = { proxy: ['proxy/model/index.js'] };
/** Files other parts may import that are not modules with names: a script run for its effect. */
const SCRIPTS = ['demo/exit-with-parent.mjs'];

const base = {
  $schema: './node_modules/oxlint/configuration_schema.json',
  plugins: ['typescript', 'import'],
  categories: { correctness: 'error' },
  rules: {
    'eslint/complexity': ['error', { max: 25 }],
    'import/no-cycle': ['error', { ignoreTypes: false }],
  },
  overrides: [{ files: ['src/**'], rules: { 'eslint/max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }] } }],
  ignorePatterns: ['dist/**', 'node_modules/**'],
};

const isDir = (p) => statSync(p).isDirectory();
const tsIn = (dir) => readdirSync(dir).filter((n) => n.endsWith('.ts'));

/** The parts ('agent', 'wire/msgpack', …) and the problems (a part without index.ts). */
export function parts() {
  const out = [];
  const problems = [];
  for (const name of readdirSync(src).sort()) {
    const dir = join(src, name);
    if (!isDir(dir)) continue;
    const grouping = tsIn(dir).length === 0;
    for (const p of grouping ? readdirSync(dir).sort().filter((n) => isDir(join(dir, n))).map((n) => `${name}/${n}`) : [name]) {
      out.push(p);
      if (!existsSync(join(src, p, 'index.ts'))) problems.push(`src/${p}/ has no index.ts (its door)`);
    }
  }
  return { parts: out, problems };
}

function foldersWithTs(dir, out = []) {
  if (tsIn(dir).length) out.push(dir);
  for (const n of readdirSync(dir).sort()) if (isDir(join(dir, n))) foldersWithTs(join(dir, n), out);
  return out;
}

export function config() {
  const { parts: all, problems } = parts();
  const partOf = (rel) => all.find((p) => rel === p || rel.startsWith(`${p}/`));
  const overrides = [];
  const folders = foldersWithTs(src).map((d) => relative(src, d)).sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const rel of folders) {
    const depth = rel === '' ? 0 : rel.split('/').length;
    const up = depth === 0 ? './' : '../'.repeat(depth);
    const mine = partOf(rel);
    const group = [];
    for (const p of all) {
      if (p === mine) continue;
      group.push(`${up}${p}/**`, `!${up}${p}/index.js`, ...(EXTRA_DOORS[p] ?? []).map((d) => `!${up}${d}`));
    }
    group.push(...SCRIPTS.filter((s) => partOf(s) !== mine).map((s) => `!${up}${s}`));
    overrides.push({
      files: [rel === '' ? 'src/*.ts' : `src/${rel}/*.ts`],
      rules: {
        'eslint/no-restricted-imports': ['error', { patterns: [{ group, message: 'another part is imported through its door, index.ts (docs/design.md, "Parts and their doors")' }] }],
      },
    });
  }
  return { config: { ...base, overrides: [...base.overrides, ...overrides] }, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { config: cfg, problems } = config();
  const text = `${JSON.stringify(cfg, null, 2)}\n`;
  for (const p of problems) console.error(`lint-doors: ${p}`);
  if (process.argv.includes('--check')) {
    const now = existsSync(CONFIG) ? readFileSync(CONFIG, 'utf8') : '';
    if (now !== text) console.error('lint-doors: .oxlintrc.json is not what scripts/lint-doors.mjs writes (a folder added or moved?): run node scripts/lint-doors.mjs');
    process.exit(problems.length || now !== text ? 1 : 0);
  }
  writeFileSync(CONFIG, text);
  process.exit(problems.length ? 1 : 0);
}
