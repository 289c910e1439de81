// Run wrk (Debian's package) and parse its summary: requests/s, transfer/s, latency percentiles, errors.
import { spawn, spawnSync } from 'node:child_process';

export interface WrkResult {
  rps: number;
  requests: number;
  mbps: number; // 10^6 bytes/s, as wrk counts
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
}

export function haveWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** `script`: a wrk Lua script, e.g. one whose `delay()` paces each connection (see pacedScript). */
export async function runWrk(url: string, opts: { connections?: number; threads?: number; seconds?: number; headers?: string[]; script?: string } = {}): Promise<WrkResult> {
  const args = [`-t${opts.threads ?? 2}`, `-c${opts.connections ?? 50}`, `-d${opts.seconds ?? 10}s`, '--latency'];
  for (const h of opts.headers ?? []) args.push('-H', h);
  if (opts.script) args.push('-s', opts.script);
  args.push(url);
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args);
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.stderr.on('data', (d) => (text += d));
    p.on('error', reject);
    p.on('close', () => resolve(text));
  });
  return parseWrk(out);
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000 };
const BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function latency(text: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
  return m ? Number(m[1]) * UNIT[m[2]!]! : NaN;
}

export function parseWrk(text: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const t = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(text);
  const mbps = t ? (Number(t[1]) * BYTES[t[2]!]!) / 1e6 : NaN;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  return { rps, requests, mbps, p50ms: latency(text, '50'), p99ms: latency(text, '99'), errors, non2xx };
}

/**
 * A wrk script that makes each connection wait `ms` after a response before its next request, so that two targets
 * get the same offered load (connections × 1000 / ms req/s at most) and their latencies compare at equal load,
 * not at saturation, where a closed-loop generator's latency is just connections / throughput (Little's law).
 */
export function pacedScript(ms: number): string {
  return `function delay() return ${ms} end\n`;
}
