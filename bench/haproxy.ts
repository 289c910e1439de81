// npm run bench:haproxy — HAProxy under keep-alive load while lbagent's HAProxy driver applies 200 pool changes
// through the runtime API, then the same 200 changes done the old way (rewrite haproxy.cfg + reload the
// master-worker with SIGUSR2), in the same run. Prints failed requests, throughput and the apply latency of one
// change (change requested → first response from the new server), p50 / p99.
// Env: BENCH_CHANGES (200), BENCH_CONNS (32), BENCH_GAP_MS (50).
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/log/logger.js';
import { HaproxyDriver } from '../src/drivers/haproxy/driver.js';
import { freePort } from '../test/helpers/ports.js';
import { waitPort } from './lib/procs.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
const CONNS = Number(process.env.BENCH_CONNS ?? 32);
const GAP = Number(process.env.BENCH_GAP_MS ?? 50);
if (spawnSync('haproxy', ['-v']).status !== 0) {
  console.error('bench:haproxy needs haproxy: apt-get install -y haproxy');
  process.exit(2);
}

// One backend process answering on POOL ports, each with its own port number as the body.
const POOL = 24;
const ports = await Promise.all(Array.from({ length: POOL }, () => freePort()));
const backendProc = spawn(process.execPath, ['-e', `
  const net = require('net');
  for (const p of ${JSON.stringify(ports)}) net.createServer((s) => {
    let buf = '';
    s.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) { buf = buf.slice(i + 4); s.write('HTTP/1.1 200 OK\\r\\nContent-Length: ' + String(p).length + '\\r\\n\\r\\n' + p); } });
    s.on('error', () => {});
  }).listen(p, '127.0.0.1');
`], { stdio: 'ignore' });
await Promise.all(ports.map((p) => waitPort(p)));

const dir = mkdtempSync(join(tmpdir(), 'lbagent-bench-haproxy-'));
const socket = join(dir, 'admin.sock');
const front = await freePort();
const cfgFile = join(dir, 'haproxy.cfg');
const cfg = (servers: number[]) => `global
    stats socket ${socket} mode 600 level admin expose-fd listeners
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:${front}
    default_backend be
backend be
    balance roundrobin
${servers.map((p) => `    server s${p} 127.0.0.1:${p}`).join('\n')}
`;

/** The load runs in its own process (bench/lib/http-load.mjs); it reports the first response from a watched server. */
function startLoad() {
  const child = fork(join(root, 'bench', 'lib', 'http-load.mjs'), [String(front), String(CONNS)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiters = new Map<string, (at: number) => void>();
  let final: ((r: { ok: number; failed: number; seconds: number }) => void) | undefined;
  child.on('message', (m: { body?: string; at?: number; ok?: number; failed?: number; seconds?: number }) => {
    if (m.body !== undefined) waiters.get(m.body)?.(m.at!);
    else final?.(m as { ok: number; failed: number; seconds: number });
  });
  return {
    /** epoch ms of the first response from `port` after now */
    firstFrom(port: number, timeoutMs = 2000): Promise<number> {
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(NaN), timeoutMs);
        waiters.set(String(port), (at) => (clearTimeout(t), resolve(at)));
        child.send({ watch: port });
      });
    },
    stop(): Promise<{ ok: number; failed: number; seconds: number }> {
      return new Promise((resolve) => {
        final = resolve;
        child.send({ stop: true });
      });
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

async function scenario(mode: 'driver' | 'reload'): Promise<{ mode: string; ok: number; failed: number; rps: number; p50: number; p99: number; pids: number }> {
  let live = ports.slice(0, 3);
  writeFileSync(cfgFile, cfg(live));
  const hap: ChildProcess = spawn('haproxy', mode === 'reload' ? ['-W', '-db', '-f', cfgFile] : ['-db', '-f', cfgFile], { stdio: 'ignore' });
  await waitPort(front);
  const driver = new HaproxyDriver({ socket, resyncMs: 60_000, graceMs: 2000, check: {} }, silentLogger);
  const spec = (p: number) => ({ name: `s${p}`, addr: '127.0.0.1', port: p, check: { enabled: false } });
  if (mode === 'driver') {
    await sleep(200);
    await driver.setServers('be', live.map(spec));
  }
  const load = startLoad();
  await sleep(1000);
  const latencies: number[] = [];
  let next = 3;
  for (let c = 0; c < CHANGES; c++) {
    const add = ports[next % POOL]!;
    next++;
    live = [...live.slice(1), add];
    const served = load.firstFrom(add);
    const t0 = performance.timeOrigin + performance.now();
    if (mode === 'driver') await driver.setServers('be', live.map(spec));
    else {
      writeFileSync(`${cfgFile}.tmp`, cfg(live));
      renameSync(`${cfgFile}.tmp`, cfgFile);
      hap.kill('SIGUSR2');
    }
    latencies.push((await served) - t0);
    await sleep(GAP);
  }
  const { ok, failed, seconds } = await load.stop();
  const pids = Number(spawnSync('pgrep', ['-c', '-f', cfgFile]).stdout.toString().trim() || 0);
  driver.stop();
  hap.kill('SIGKILL');
  spawnSync('pkill', ['-9', '-f', cfgFile]);
  await sleep(500);
  return { mode, ok, failed, rps: ok / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), pids };
}

const rows = [await scenario('driver'), await scenario('reload')];
backendProc.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
console.log(`\nbench:haproxy — ${new Date().toISOString()}: ${CHANGES} pool changes (swap the oldest of 3 servers for a new one, ${GAP} ms apart) under ${CONNS} keep-alive clients, HAProxy ${spawnSync('haproxy', ['-v']).stdout.toString().split('\n')[0]}`);
console.log('| mode | requests ok | failed requests | req/s | change → new server serves p50 ms | p99 ms |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.mode === 'driver' ? 'lbagent driver (runtime API)' : 'rewrite cfg + reload (-W, SIGUSR2)'} | ${r.ok} | ${r.failed} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
console.log('\nGoal: zero failed requests from pool changes with the driver; apply latency p99 ≤ 50 ms.');
void root;
