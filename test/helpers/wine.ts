// Windows programs under wine, as deploy-testing.md measured: a prefix per test (said to be Windows 10, which
// Node 20 needs), no Mono/Gecko prompts, and stdout/stderr to files (node.exe fails with EBADF on a pipe).
// On a netns host everything runs in that host's namespace, wineserver included: wine's network services then
// see that host's interfaces.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Host } from './netns.js';

export function wineEnv(prefix: string): NodeJS.ProcessEnv {
  return { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
}

/** This machine's path as Windows programs under wine see it. */
export function winPath(path: string): string {
  return `Z:${path.replace(/\//g, '\\')}`;
}

export interface WineRun {
  code: number | null;
  out: string;
}

let runs = 0;

/** Run `wine ARGS` on `host` to completion; its output goes through a file in `dir`. */
export async function wineRun(host: Host, prefix: string, dir: string, args: string[], timeoutMs = 120_000): Promise<WineRun> {
  const file = join(dir, `wine-run-${++runs}.out`);
  const fd = openSync(file, 'w');
  let proc: ChildProcess;
  try {
    proc = host.spawn('wine', args, { stdio: ['ignore', fd, fd], env: wineEnv(prefix) });
  } finally {
    closeSync(fd);
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`wine ${args.join(' ')} did not finish in ${timeoutMs / 1000}s:\n${readFileSync(file, 'utf8')}`));
    }, timeoutMs);
    proc.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out: readFileSync(file, 'utf8') };
}

/** A new prefix that says Windows 10 (a new one says Windows 7, where Node 20 refuses to start). */
export async function prepareWinePrefix(host: Host, prefix: string, dir: string): Promise<void> {
  const r = await wineRun(host, prefix, dir, ['winecfg', '-v', 'win10'], 180_000);
  if (r.code !== 0) throw new Error(`wine winecfg -v win10 exited ${r.code}:\n${r.out}`);
}
