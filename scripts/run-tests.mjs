#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner through tsx.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. test/proxy test/config/duration.test.ts
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'fixtures' || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const prefixes = process.argv.slice(2);
const files = walk('test')
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p.replace(/^\.\//, ''))))
  .sort();
if (files.length === 0) {
  console.error('no test files matched', prefixes.join(' '));
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Balancers keep a serf snapshot in their state directory by default: the suite's go to a directory of its own,
// not /var/lib/lbagent, and are removed at the end.
const stateDir = mkdtempSync(join(tmpdir(), 'lbagent-test-state-'));
process.env.STATE_DIRECTORY = stateDir;
const result = spawnSync(
  process.execPath,
  // A test file that hangs fails after 10 minutes instead of holding CI until its limit. The limit applies to each
  // file as a whole (a test's own `timeout` cannot lengthen it), and the compose test on a fresh machine builds
  // its base image and the Dockerfile first: several minutes on a busy machine.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 600_000}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
rmSync(stateDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
