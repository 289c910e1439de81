// npm run bench:proxy — the built-in proxy and HAProxy in front of the same backends, driven by the same wrk runs,
// side by side in one run. Not a test: prints figures (req/s, MB/s, p50, p99) and ratios builtin/HAProxy.
// Env: BENCH_SECONDS (default 5 per run), BENCH_ROUNDS (3), BENCH_CONNS (50), BENCH_THREADS (1: HAProxy's nbthread and lbagent's global.workers,
// the same core count for both), BENCH_TESTS (ka,close,tcp1m,http1m,tls-ka,tls-close,ka-paced,tls-ka-paced), BENCH_PACE_MS (10),
// BENCH_HISTOGRAMS (on: lbagent's latency histograms per backend, the default; off: `metrics: { histograms: false }`;
// server: per server too; a list such as on,off runs one lbagent per setting, taking turns, to measure their cost).
// Two figures hold up on a noisy shared box better than req/s: CPU per request (the proxy's own user + system time,
// workers included, divided by the requests served) and latency at equal load (the *-paced runs: every connection
// waits BENCH_PACE_MS between requests, so both proxies serve the same request rate and their p99s compare fairly;
// at saturation, wrk's latency is only its connection count divided by the throughput).
// TLS runs terminate TLS on both proxies with the same certificate (made here with openssl).
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { makeCa } from '../test/helpers/certs.js';
import { cpuMs, have, rssKiB, start, startNode, stop, waitPort } from './lib/procs.js';
import { haveWrk, pacedScript, runWrk, type WrkResult } from './lib/wrk.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
// A shared machine's speed drifts: the two proxies take turns, BENCH_ROUNDS times each, and the median run counts.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const conns = Number(process.env.BENCH_CONNS ?? 50);
const threads = Number(process.env.BENCH_THREADS ?? process.env.HAPROXY_THREADS ?? 1);
const tests = (process.env.BENCH_TESTS ?? 'ka,close,tcp1m,http1m,tls-ka,tls-close,ka-paced,tls-ka-paced').split(',');
const paceMs = Number(process.env.BENCH_PACE_MS ?? 10);
const histogramModes = (process.env.BENCH_HISTOGRAMS ?? 'on').split(',').filter((m): m is 'on' | 'off' | 'server' => m === 'on' || m === 'off' || m === 'server');
if (!histogramModes.length) histogramModes.push('on');

if (!haveWrk()) {
  console.error('bench:proxy needs wrk: apt-get install -y wrk');
  process.exit(2);
}
const withHaproxy = have('haproxy', '-v');
if (!withHaproxy) console.error('haproxy not found (apt-get install -y haproxy): printing the built-in proxy only');

const dir = mkdtempSync(join(tmpdir(), 'lbagent-bench-'));
const [b1, b2, b3, hapHttp, hapTcp, hapTls] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
/** one lbagent per histogram setting, each on its own ports */
const lbs = await Promise.all(
  histogramModes.map(async (mode) => {
    const [http, tcp, admin, tls] = await Promise.all(Array.from({ length: 4 }, () => freePort()));
    const label = `${threads > 1 ? `builtin workers ${threads}` : 'builtin'}${histogramModes.length > 1 || mode !== 'on' ? ` histograms ${mode}` : ''}`;
    return { mode, label, http: http!, tcp: tcp!, admin: admin!, tls: tls! };
  }),
);
// One certificate + key in one PEM (issued by the tests' CA helper), for both proxies.
const ca = makeCa('lbagent bench CA');
const pem = ca.issue('localhost', join(dir, 'bench.pem'));
const paced = join(dir, 'paced.lua');
writeFileSync(paced, pacedScript(paceMs));
const backends = [b1!, b2!, b3!];

const lbConfig = (l: (typeof lbs)[number]) => `
global: { log_level: warn, workers: ${threads} }
defaults: { timeout: { connect: 5s, client: 30s, server: 30s } }
admin: { bind: "127.0.0.1:${l.admin}" }
metrics: { histograms: ${l.mode !== 'off'}, server_histograms: ${l.mode === 'server'} }
frontends:
  web: { bind: "127.0.0.1:${l.http}", mode: http, default_backend: app }
  stream: { bind: "127.0.0.1:${l.tcp}", mode: tcp, default_backend: app_tcp }
  secure: { bind: "127.0.0.1:${l.tls}", mode: http, default_backend: app, ssl: { crt: "${pem}" } }
backends:
  app:
    mode: http
    balance: roundrobin
    servers:
${backends.map((p, i) => `      - { name: s${i + 1}, addr: "127.0.0.1:${p}" }`).join('\n')}
  app_tcp:
    mode: tcp
    balance: roundrobin
    servers:
${backends.map((p, i) => `      - { name: s${i + 1}, addr: "127.0.0.1:${p}" }`).join('\n')}
`;
const hapConfig = `
global
    nbthread ${threads}
    maxconn 4096
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    mode http
    bind 127.0.0.1:${hapHttp}
    default_backend app
frontend secure
    mode http
    bind 127.0.0.1:${hapTls} ssl crt ${pem} alpn http/1.1
    default_backend app
frontend stream
    mode tcp
    bind 127.0.0.1:${hapTcp}
    default_backend app_tcp
backend app
    mode http
    balance roundrobin
${backends.map((p, i) => `    server s${i + 1} 127.0.0.1:${p}`).join('\n')}
backend app_tcp
    mode tcp
    balance roundrobin
${backends.map((p, i) => `    server s${i + 1} 127.0.0.1:${p}`).join('\n')}
`;
for (const l of lbs) writeFileSync(join(dir, `lbagent-${l.mode}.yml`), lbConfig(l));
writeFileSync(join(dir, 'haproxy.cfg'), hapConfig);

const backend = startNode(join(root, 'bench', 'lib', 'backend-server.mjs'), backends.map(String));
const lbProcs = lbs.map((l) => start(process.execPath, [join(root, 'bin', 'lbagent.js'), 'balancer', '-c', join(dir, `lbagent-${l.mode}.yml`)], { LBAGENT_LOG_FORMAT: 'json' }));
const hap = withHaproxy ? start('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]) : undefined;

type Run = WrkResult & { cpuUsPerReq: number };
type Row = { test: string; target: string; r: Run; rss?: number };
const rows: Row[] = [];
try {
  await Promise.all([...backends, ...lbs.flatMap((l) => [l.http, l.tcp])].map((p) => waitPort(p)));
  if (hap) await Promise.all([waitPort(hapHttp!), waitPort(hapTcp!)]);

  const plan: Record<string, { path: string; headers?: string[]; tcp?: boolean; tls?: boolean; script?: string }> = {
    'ka-paced': { path: '/', script: paced },
    'tls-ka-paced': { path: '/', tls: true, script: paced },
    'tls-ka': { path: '/', tls: true },
    'tls-close': { path: '/', headers: ['Connection: close'], tls: true },
    ka: { path: '/' },
    close: { path: '/', headers: ['Connection: close'] },
    tcp1m: { path: '/1m', tcp: true },
    http1m: { path: '/1m' },
  };
  for (const test of tests) {
    const p = plan[test];
    if (!p) continue;
    const targets: [string, number, number | undefined][] = lbs.map((l, i) => [l.label, p.tls ? l.tls : p.tcp ? l.tcp : l.http, lbProcs[i]!.pid]);
    if (hap) targets.push([`haproxy nbthread ${threads}`, p.tls ? hapTls! : p.tcp ? hapTcp! : hapHttp!, hap.pid]);
    const url = (port: number) => `${p.tls ? 'https' : 'http'}://127.0.0.1:${port}${p.path}`;
    // A short warm-up so JIT and connection pools are in steady state for both.
    for (const [, port] of targets) await runWrk(url(port), { connections: conns, seconds: 2, headers: p.headers, script: p.script });
    const runs = new Map<string, Run[]>(targets.map(([t]) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [target, port, pid] of targets) {
        const cpuBefore = cpuMs(pid);
        const r = await runWrk(url(port), { connections: conns, seconds, headers: p.headers, script: p.script });
        const cpuUsPerReq = ((cpuMs(pid) - cpuBefore) * 1000) / r.requests;
        runs.get(target)!.push({ ...r, cpuUsPerReq });
        process.stderr.write(`${test} ${target} round ${round + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99ms} ms, ${cpuUsPerReq.toFixed(1)} µs CPU/req\n`);
      }
    }
    for (const [target, , pid] of targets) {
      const sorted = runs.get(target)!.sort((a, b) => a.rps - b.rps);
      rows.push({ test, target, r: sorted[Math.floor(sorted.length / 2)]!, rss: rssKiB(pid) });
    }
  }
} finally {
  await Promise.all([...lbProcs.map((p) => stop(p)), stop(hap), stop(backend)]);
  rmSync(dir, { recursive: true, force: true });
  rmSync(ca.dir, { recursive: true, force: true });
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log(`\nbench:proxy — wrk -t2 -c${conns} -d${seconds}s, median of ${rounds} alternating rounds, 3 backends on 127.0.0.1, ${new Date().toISOString()}`);
console.log('| test | target | req/s | MB/s | p50 ms | p99 ms | errors | CPU µs/req | RSS KiB | builtin/HAProxy req/s | p99 ratio | CPU/req ratio |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  const ref = rows.find((x) => x.test === row.test && x.target.startsWith('haproxy'));
  const ratio = ref && row.target.startsWith('builtin') ? fmt(row.r.rps / ref.r.rps, 2) : '';
  const p99 = ref && row.target.startsWith('builtin') ? fmt(row.r.p99ms / ref.r.p99ms, 2) : '';
  const cpu = ref && row.target.startsWith('builtin') ? fmt(row.r.cpuUsPerReq / ref.r.cpuUsPerReq, 2) : '';
  console.log(`| ${row.test} | ${row.target} | ${fmt(row.r.rps)} | ${fmt(row.r.mbps, 1)} | ${fmt(row.r.p50ms, 2)} | ${fmt(row.r.p99ms, 2)} | ${row.r.errors + row.r.non2xx} | ${fmt(row.r.cpuUsPerReq, 1)} | ${row.rss ?? '-'} | ${ratio} | ${p99} | ${cpu} |`);
}
console.log(`\nGoals: keep-alive ≥ 0.5× HAProxy (HTTP and HTTPS), TCP streaming ≥ 0.8×, p99 ≤ 2× (what each run compares: README.md, "Benchmarks").
*-paced: each connection waits ${paceMs} ms between requests (equal offered load for both); CPU µs/req: the proxy's own CPU time per request.`);
