// npm run bench:proxy-ir — instructions per proxied request, counted by valgrind's callgrind, for the built-in
// proxy, HAProxy (nbthread 1) and a bare Node pipe (the floor for any Node proxy), side by side in one run.
// Why: on a shared 2-core box, req/s and CPU time of the same build drift by ±20 % from run to run, so a change
// worth 10 % cannot be seen there. The instructions a process's main thread executes for a fixed amount of work
// move much less: ±5 % for one build over several runs (49–54k per HTTP request for the built-in), as event
// batching varies with timing. So a change shows as a difference beyond that, or as the median of a few runs.
// User space only: the kernel's share of each read and write (about the same for all three) is not counted.
// Each target serves BENCH_WARM keep-alive requests (JIT warm-up), its counters are zeroed, then it serves
// BENCH_REQUESTS more over 10 connections: plain HTTP first, then the same over HTTPS (same certificate). Under
// valgrind everything runs ≈50× slower: the whole run takes about 3 minutes.
// Env: BENCH_WARM (20000), BENCH_REQUESTS (4000), BENCH_HISTOGRAMS (on; off: lbagent's `metrics: { histograms: false }`).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { makeCa } from '../test/helpers/certs.js';
import { have, start, startNode, stop, waitPort } from './lib/procs.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const warm = Number(process.env.BENCH_WARM ?? 20_000);
const requests = Number(process.env.BENCH_REQUESTS ?? 4_000);
const connections = 10;

if (!have('valgrind', '--version')) {
  console.error('bench:proxy-ir needs valgrind: apt-get install -y valgrind');
  process.exit(2);
}
const withHaproxy = have('haproxy', '-v');
if (!withHaproxy) console.error('haproxy not found (apt-get install -y haproxy): no HAProxy column');

const dir = mkdtempSync(join(tmpdir(), 'lbagent-bench-ir-'));
const ca = makeCa('lbagent bench CA');
const pem = ca.issue('localhost', join(dir, 'bench.pem'));
const [backendPort, lbHttp, lbTls, hapHttp, hapTls, bareHttp, bareTls] = await Promise.all(Array.from({ length: 7 }, () => freePort()));

writeFileSync(
  join(dir, 'lbagent.yml'),
  `
global: { log_level: warn, workers: 1 }
defaults: { timeout: { connect: 5s, client: 30s, server: 30s } }
metrics: { histograms: ${process.env.BENCH_HISTOGRAMS !== 'off'} }
frontends:
  web: { bind: "127.0.0.1:${lbHttp}", mode: http, default_backend: app }
  secure: { bind: "127.0.0.1:${lbTls}", mode: http, default_backend: app, ssl: { crt: "${pem}" } }
backends:
  app:
    mode: http
    servers:
      - { name: s1, addr: "127.0.0.1:${backendPort}" }
`,
);
writeFileSync(
  join(dir, 'haproxy.cfg'),
  `
global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:${hapHttp}
    default_backend app
frontend secure
    bind 127.0.0.1:${hapTls} ssl crt ${pem} alpn http/1.1
    default_backend app
backend app
    server s1 127.0.0.1:${backendPort}
`,
);

interface Target {
  name: string;
  cmd: string[];
  http: number;
  https: number;
}
const targets: Target[] = [
  { name: 'builtin', cmd: [process.execPath, join(root, 'bin', 'lbagent.js'), 'balancer', '-c', join(dir, 'lbagent.yml')], http: lbHttp!, https: lbTls! },
  ...(withHaproxy ? [{ name: 'haproxy', cmd: ['haproxy', '-db', '-f', join(dir, 'haproxy.cfg')], http: hapHttp!, https: hapTls! }] : []),
  { name: 'bare Node pipe', cmd: [process.execPath, join(root, 'bench', 'lib', 'bare-pipe.mjs'), String(backendPort), String(bareHttp), String(bareTls), pem], http: bareHttp!, https: bareTls! },
];

function load(port: number, n: number, tls: boolean): void {
  const out = execFileSync(process.execPath, [join(root, 'test', 'helpers', 'fixed-load.mjs'), String(port), String(n), String(connections), tls ? 'tls' : ''], { encoding: 'utf8' });
  const [done, failed] = out.trim().split(' ').map(Number);
  if (done !== n || failed !== 0) throw new Error(`load on port ${port}: ${done} of ${n} answered 200, ${failed} failed`);
}

/** Instructions in the dump numbered `dump` of process `pid`: all threads, and the main thread alone. */
function counted(prefix: string, pid: number, dump: number): { all: number; main: number } {
  let all = 0;
  let main = 0;
  for (const f of readdirSync(dir).filter((f) => f.startsWith(`${prefix}.${pid}.${dump}-`))) {
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
    const n = m ? Number(m[1]) : 0;
    all += n;
    if (f.endsWith('-01')) main = n;
  }
  return { all, main };
}

type Row = { target: string; test: string; all: number; main: number };
const rows: Row[] = [];
const backend = startNode(join(root, 'bench', 'lib', 'backend-server.mjs'), [String(backendPort)]);
try {
  await waitPort(backendPort!);
  for (const t of targets) {
    const prefix = t.name.replace(/\W+/g, '-');
    const p: ChildProcess = start('valgrind', ['-q', '--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, prefix)}.%p`, ...t.cmd], { LBAGENT_LOG_FORMAT: 'json' });
    try {
      await Promise.all([waitPort(t.http, '127.0.0.1', 180_000), waitPort(t.https, '127.0.0.1', 180_000)]);
      let dump = 0;
      for (const [test, port, tls] of [['HTTP keep-alive', t.http, false], ['HTTPS keep-alive', t.https, true]] as const) {
        load(port, warm, tls);
        execFileSync('callgrind_control', ['-z', String(p.pid)], { stdio: 'ignore' });
        load(port, requests, tls);
        execFileSync('callgrind_control', ['-d', String(p.pid)], { stdio: 'ignore' });
        const c = counted(prefix, p.pid!, ++dump);
        rows.push({ target: t.name, test, all: c.all / requests, main: c.main / requests });
        process.stderr.write(`${t.name} ${test}: ${Math.round(c.all / requests)} instructions/request (${Math.round(c.main / requests)} on the main thread)\n`);
      }
    } finally {
      await stop(p);
    }
  }
} finally {
  await stop(backend);
  rmSync(dir, { recursive: true, force: true });
  rmSync(ca.dir, { recursive: true, force: true });
}

console.log(`\nbench:proxy-ir — callgrind, ${requests} keep-alive requests over ${connections} connections after ${warm} to warm up, one backend on 127.0.0.1, ${new Date().toISOString()}`);
console.log('| test | target | instructions/request, main thread | vs HAProxy | all threads |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const hap = rows.find((x) => x.target === 'haproxy' && x.test === r.test);
  const ratio = hap && r.target !== 'haproxy' ? `${(r.main / hap.main).toFixed(2)}×` : '';
  console.log(`| ${r.test} | ${r.target} | ${Math.round(r.main)} | ${ratio} | ${Math.round(r.all)} |`);
}
console.log(`
User-space instructions only: the kernel's work for each read and write is not counted. The main thread's count
moves by about ±5 % from run to run; the all-threads count also holds Node's background JIT compiles and GC
work, which fall in or out of the counted window from run to run (±30 %), so compare main threads.`);
