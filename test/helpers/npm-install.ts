// lbagent as a user gets it: `npm pack` of a clean copy of the checkout, then `npm install -g` of the tarball
// into a prefix of the test's. Done once per test file (the tests of a file share it): a pack and install take
// 10-30 s on a busy machine.
import { cpSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';

const run = promisify(execFile);

export interface Installed {
  tarball: string;
  tarballBytes: number;
  /** the global prefix: `bin/lbagent`, `lib/node_modules/lbagent` */
  prefix: string;
  /** the installed command (a link npm made, as on a user's PATH) */
  bin: string;
  /** the installed package's directory */
  packageDir: string;
  packMs: number;
  installMs: number;
}

/**
 * The environment of a user's shell with the prefix's bin first on PATH: none of `npm test`'s own variables
 * (npm_config_*, its node_modules/.bin on PATH), so nothing of the checkout leaks into what is tested.
 */
export function userEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('npm_') || k === 'INIT_CWD' || k === 'LBAGENT_FROM_SOURCE') continue;
    env[k] = v;
  }
  const path = (env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !d.includes('node_modules'));
  env.PATH = [join(prefix, 'bin'), ...path].join(delimiter);
  return { ...env, ...extra };
}

async function packAndInstall(): Promise<Installed> {
  // Removed when the test file's process exits: node:test's after() called inside a test belongs to that test,
  // and the install outlives the test that made it.
  const work = tempDir((remove) => process.once('exit', remove), 'lbagent-install-');
  // A copy of the checkout without its build, git data or dependencies: what `npm pack` ships must come from
  // `npm pack` itself (its `prepare` builds dist/), and the checkout's own dist/ is not rewritten under the feet
  // of concurrent tests. The dependencies (the compiler among them) are the checkout's, linked.
  const checkout = join(work, 'checkout');
  const skip = new Set(['node_modules', 'dist', '.git']);
  cpSync(repoRoot, checkout, { recursive: true, filter: (src) => !skip.has(src.slice(repoRoot.length + 1)) });
  symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const out = join(work, 'out');
  mkdirSync(out);
  const env = userEnv(join(work, 'none'), { npm_config_update_notifier: 'false' });

  let started = Date.now();
  await run('npm', ['pack', '--pack-destination', out], { cwd: checkout, env, maxBuffer: 16 << 20 });
  const packMs = Date.now() - started;
  const name = readdirSync(out).find((f) => /^lbagent-.*\.tgz$/.test(f));
  if (!name) throw new Error(`npm pack made no lbagent-*.tgz in ${out}`);
  const tarball = join(out, name);

  // As the README says, from the tarball's directory; --prefer-offline: the dependencies usually are in npm's
  // cache already (npm ci put them there), the registry is asked only for what is missing.
  const prefix = join(work, 'prefix');
  started = Date.now();
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `./${name}`], { cwd: out, env, maxBuffer: 16 << 20 });
  const installMs = Date.now() - started;
  return {
    tarball,
    tarballBytes: statSync(tarball).size,
    prefix,
    bin: join(prefix, 'bin', 'lbagent'),
    packageDir: join(prefix, 'lib', 'node_modules', 'lbagent'),
    packMs,
    installMs,
  };
}

let shared: Promise<Installed> | undefined;

/** The tarball and its global install, made on the first call of this test file's process and removed at its end. */
export function installedLbagent(): Promise<Installed> {
  shared ??= packAndInstall();
  return shared;
}
