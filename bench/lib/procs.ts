// Process helpers for benchmarks: start, wait for a TCP port, stop.
import { spawn, fork, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export function have(cmd: string, arg = '-v'): boolean {
  return spawnSync(cmd, [arg]).error === undefined;
}

export async function waitPort(port: number, host = '127.0.0.1', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${host}:${port} did not open within ${timeoutMs}ms`);
    await sleep(50);
  }
}

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  return p;
}

export function startNode(script: string, args: string[]): ChildProcess {
  return fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

export async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

/** Resident memory of a process and its children (proxy workers), in KiB. */
export function rssKiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const own = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)]);
  const children = spawnSync('ps', ['-o', 'rss=', '--ppid', String(pid)]);
  const v = `${own.stdout}\n${children.stdout}`.split('\n').map(Number).filter((n) => Number.isFinite(n)).reduce((a, b) => a + b, 0);
  return v > 0 ? v : undefined;
}

/** CPU time (user + system) used so far by a process and its children that are still running (proxy workers), in ms. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.toString().split('\n').map(Number).filter((n) => n > 0);
  let ticks = 0;
  for (const p of [pid, ...children]) {
    try {
      // Fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15 (proc(5)).
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between ps and the read: its time is gone with it.
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
