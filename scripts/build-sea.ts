// `npm run build:sea [-- --target linux-x64,win-x64] [--out DIR]`: the single executables `lbagent` (Linux x64)
// and `lbagent.exe` (Windows x64), with Node's single executable applications: the CLI bundled into one file
// (sea-bundle.ts), a preparation blob from this Node (`node --experimental-sea-config`), injected with postject
// into a copy of the official Node binary of the same version (sea-node.ts). Idempotent: an executable whose
// blob and Node are unchanged is kept (tests build once per run; the Node binaries are downloaded once).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCli } from './sea-bundle.js';
import { defaultCacheDir, nodeBinary, TARGETS, type SeaTarget } from './sea-node.js';

// Node's SEA docs: the sentinel postject flips so the binary looks for its blob.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SeaBuild {
  target: string;
  path: string;
  bytes: number;
  /** false when an up-to-date executable was kept */
  built: boolean;
}

export interface SeaOptions {
  root: string;
  outDir?: string;
  targets?: string[];
  cacheDir?: string;
  log?: (line: string) => void;
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(ROOT, 'build', 'sea');

export async function buildSea({ root, outDir = join(root, 'build', 'sea'), targets = Object.keys(TARGETS), cacheDir = defaultCacheDir(root), log = () => {} }: SeaOptions): Promise<SeaBuild[]> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the single executables are built on Linux x64');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const nodeVersion = process.versions.node;
  // The executables are this Node; src/self.ts asks its node:sea module (Node 20.12 and later) whether it is one.
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 12)) throw new Error(`build with Node 20.12 or later (this is ${nodeVersion}): the executables are the Node that builds them`);
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.work-'));
  try {
    const bundle = join(work, 'lbagent.cjs');
    await bundleCli(root, bundle, version);
    // A blob with V8's code cache starts about a third faster but runs only on the platform that made it (this
    // Linux x64); the Windows one goes without. Everything else in the two blobs is the same.
    const blobs = new Map<boolean, Buffer>();
    const blob = (codeCache: boolean): Buffer => {
      let data = blobs.get(codeCache);
      if (!data) {
        const file = join(work, `lbagent-${codeCache ? 'cc' : 'plain'}.blob`);
        const config = join(work, `sea-config-${codeCache ? 'cc' : 'plain'}.json`);
        writeFileSync(config, JSON.stringify({ main: bundle, output: file, disableExperimentalSEAWarning: true, useCodeCache: codeCache, useSnapshot: false }));
        execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
        data = readFileSync(file);
        blobs.set(codeCache, data);
      }
      return data;
    };
    // The blob is not byte-for-byte reproducible; what it is made of is: the bundle and the Node that reads it.
    const made = createHash('sha256').update(readFileSync(bundle)).update(nodeVersion);
    const out: SeaBuild[] = [];
    for (const name of targets) {
      const target: SeaTarget | undefined = TARGETS[name];
      if (!target) throw new Error(`unknown target ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
      const stamp = made.copy().update(String(target.codeCache)).digest('hex');
      out.push(await inject(target, { outDir, work, blob: () => blob(target.codeCache), stamp, nodeVersion, cacheDir, log }));
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface InjectContext {
  outDir: string;
  work: string;
  blob: () => Buffer;
  stamp: string;
  nodeVersion: string;
  cacheDir: string;
  log: (line: string) => void;
}

async function inject(target: SeaTarget, c: InjectContext): Promise<SeaBuild> {
  const path = join(c.outDir, target.output);
  const stampFile = `${path}.stamp`;
  if (existsSync(path) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === c.stamp) {
    return { target: target.name, path, bytes: statSync(path).size, built: false };
  }
  const base = nodeBinary(target, c.nodeVersion, c.cacheDir, c.log);
  const tmp = join(c.work, target.output);
  copyFileSync(base, tmp);
  chmodSync(tmp, 0o755);
  // postject is CommonJS; its API is the CLI's without a process per target.
  const { inject: postject } = createRequire(import.meta.url)('postject') as {
    inject(file: string, name: string, data: Buffer, opts: { sentinelFuse: string }): Promise<void>;
  };
  const started = Date.now();
  await postject(tmp, 'NODE_SEA_BLOB', c.blob(), { sentinelFuse: SEA_FUSE });
  renameSync(tmp, path); // whole or not at all, also for a concurrent build
  writeFileSync(stampFile, c.stamp);
  c.log(`built ${path} (postject ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { target: target.name, path, bytes: statSync(path).size, built: true };
}

async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { target: { type: 'string' }, out: { type: 'string' } } });
  const started = Date.now();
  const builds = await buildSea({
    root: ROOT,
    outDir: values.out ? resolve(values.out) : DEFAULT_OUT,
    targets: values.target?.split(','),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  for (const b of builds) process.stdout.write(`${b.path}  ${(b.bytes / 1048576).toFixed(1)} MiB${b.built ? '' : ' (up to date)'}\n`);
  process.stdout.write(`in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((err: unknown) => {
    process.stderr.write(`build:sea: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
