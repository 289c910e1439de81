// npm run bench:failover — issue 18: two balancers behind one virtual IP with keepalived, on namespace hosts
// (test/helpers/netns.ts): what a planned stop and a crash of the VIP holder cost a client sending a steady stream
// of requests to the VIP. Each pair runs in the same topology with the same keepalived timers:
//   haproxy: HAProxy on both balancers, seed 003's check (is the process alive: `killall -0 haproxy`, here per
//            host by its pid file since namespaces share one process table); planned stop = SIGUSR1 (soft stop:
//            it stops accepting, finishes what it has, exits), crash = SIGKILL.
//   lbagent: `lbagent balancer` on both (one gossip cluster, the app hosts joined with `lbagent join`), the check
//            examples/keepalived uses (`curl -sf http://127.0.0.1:9901/v1/health`); planned stop = SIGTERM
//            (health fails for shutdown_delay while it serves, then it drains and exits), crash = SIGKILL.
// Env: BENCH_INTERVAL_MS (20, one request per interval on a new connection), BENCH_ADVERT (1 s), BENCH_CHECK (1 s,
// fall 2 rise 2).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildHosts, type Host } from '../test/helpers/netns.js';
import { cutByVipMove, startKeepalived, watchVipArrival, type Keepalived } from '../test/helpers/keepalived.js';
import { have } from './lib/procs.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const BIN = join(root, 'bin', 'lbagent.js');
const CLIENT = join(root, 'test', 'helpers', 'steady-client.mjs');
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 20);
const ADVERT = Number(process.env.BENCH_ADVERT ?? 1);
const CHECK = Number(process.env.BENCH_CHECK ?? 1);
const FALL = 2;
// a client's patience: long enough for a retransmitted SYN (1 s) while the VIP moves
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 3000);
for (const cmd of ['haproxy', 'keepalived', 'curl']) {
  if (!have(cmd, '-v') && !have(cmd, '--version')) {
    console.error(`bench:failover needs ${cmd} (apt-get install -y ${cmd})`);
    process.exit(2);
  }
}
if (process.getuid?.() !== 0) {
  console.error('bench:failover needs root (network namespaces, keepalived)');
  process.exit(2);
}

interface Outcome {
  ok: number;
  failed: number;
  firstFailAt?: number;
  lastFailAt?: number;
  longestGapMs: number;
  failures: Array<{ at: number; failedAt: number; why: string }>;
}

/** One balancer on a host: started, its pid file for the check, and how to stop it either way. */
interface Balancer {
  proc: ChildProcess;
  pidFile: string;
}

type PairKind = 'haproxy' | 'lbagent';

const cleanups: Array<() => void> = [];
const owner = { after: (fn: () => void) => void cleanups.push(fn) };
process.once('SIGINT', () => {
  for (const c of cleanups.reverse()) c();
  process.exit(130);
});

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function startHaproxy(host: Host, dir: string, apps: Host[]): Balancer {
  const cfg = join(dir, `haproxy-${host.name}.cfg`);
  writeFileSync(cfg, [
    'global',
    '    maxconn 4096',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    retries 3',
    '    option redispatch',
    'frontend www',
    '    bind *:80',
    '    default_backend web',
    'backend web',
    '    balance roundrobin',
    '    option httpchk GET /',
    ...apps.map((a, i) => `    server web-${i + 1} ${a.ip}:8080 check inter 1s rise 1 fall 2`),
    '',
  ].join('\n'));
  const proc = host.spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  const pidFile = join(dir, `haproxy-${host.name}.pid`);
  // ip netns exec execs the command: the child's pid is HAProxy's own
  writeFileSync(pidFile, `${proc.pid}\n`);
  return { proc, pidFile };
}

/** An lbagent balancer: frontend *:80, admin on its default 127.0.0.1:9901, gossip on the default port. */
function startLbagent(host: Host, dir: string, peers: string[]): Balancer {
  const cfg = join(dir, `lbagent-${host.name}.yml`);
  writeFileSync(cfg, [
    'frontends: { www: { bind: "*:80", default_backend: web } }',
    'backends: { web: { balance: roundrobin, retries: 3, redispatch: true, check: { type: http, path: / } } }',
    'roles:',
    '  defaults: { check: { interval: 1s, rise: 1, fall: 2 } }',
    '  roles: { web: { lb: [web], port: 8080 } }',
    `gossip: { node: ${host.name}${peers.length ? `, join: [${peers.join(', ')}]` : ''} }`,
    'global: { shutdown_delay: 5s }',
    '',
  ].join('\n'));
  const proc = host.spawn(process.execPath, [BIN, 'balancer', '-c', cfg], { stdio: 'ignore', env: { ...process.env, STATE_DIRECTORY: join(dir, `state-${host.name}`) } });
  return { proc, pidFile: '' };
}

const HEALTH_CHECK = '/usr/bin/curl -sf -m 1 http://127.0.0.1:9901/v1/health';

async function scenario(kind: PairKind, what: 'planned stop' | 'crash'): Promise<Outcome & { vipMoveMs: number; cutByMove: number }> {
  const topo = buildHosts(owner, ['lb1', 'lb2', 'web1', 'web2', 'client']);
  cleanups.push(() => topo.teardown());
  const [lb1, lb2, web1, web2, client] = topo.hosts as [Host, Host, Host, Host, Host];
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-failover-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const vip = lb1.ip.replace(/\.\d+$/, '.250');
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2']] as const) h.spawn(process.execPath, [BIN, 'demo', '--app', name, '--port', '8080'], { stdio: 'ignore' });

  const balancers = new Map<Host, Balancer>();
  const keepalived = new Map<Host, Keepalived>();
  for (const [h, priority] of [[lb1, 101], [lb2, 100]] as const) {
    const b = kind === 'haproxy' ? startHaproxy(h, dir, [web1, web2]) : startLbagent(h, dir, h === lb2 ? [lb1.ip] : []);
    balancers.set(h, b);
    if (kind === 'lbagent' && h === lb1) await until('lb1 answers', async () => (await lb1.run('curl', ['-sf', '-m', '1', 'http://127.0.0.1:9901/v1/health']).then(() => true, () => false)));
    const check = kind === 'haproxy' ? `/usr/bin/pgrep -F ${b.pidFile}` : HEALTH_CHECK;
    keepalived.set(h, startKeepalived(h, dir, { vip, priority, checkScript: check, interval: CHECK, fall: FALL, rise: 2, advertInt: ADVERT }));
  }
  if (kind === 'lbagent') {
    for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2']] as const) h.spawn(process.execPath, [BIN, 'join', lb1.ip, '--role', 'web', '--node', name], { stdio: 'ignore' });
  }
  await until('lb1 holds the VIP', () => keepalived.get(lb1)!.holdsVip());
  // both balancers serve with both app servers UP before anything happens
  for (const h of [lb1, lb2]) {
    await until(`${h.name} serves both apps`, async () => {
      const { stdout } = await h.run('sh', ['-c', 'for i in 1 2 3 4; do curl -s -m 1 http://127.0.0.1/; echo; done']).catch(() => ({ stdout: '' }));
      return stdout.includes('web-1') && stdout.includes('web-2');
    });
  }
  await until('requests through the VIP', async () => (await client.run('curl', ['-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', `http://${vip}/`]).catch(() => ({ stdout: '' }))).stdout === '200');

  const stream = client.spawn(process.execPath, [CLIENT, `http://${vip}/`, String(INTERVAL_MS), String(TIMEOUT_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  stream.stdout!.on('data', (c) => (report += c));
  await sleep(2000);
  const arrival = watchVipArrival(lb2, vip);
  cleanups.push(() => arrival.stop());
  const t0 = Date.now();
  const holder = balancers.get(lb1)!;
  holder.proc.kill(what === 'crash' ? 'SIGKILL' : kind === 'haproxy' ? 'SIGUSR1' : 'SIGTERM');
  const moved = await until('lb2 holds the VIP', () => keepalived.get(lb2)!.holdsVip());
  // long enough for the stopped balancer's delay and drain to end under the stream
  await sleep(kind === 'lbagent' && what === 'planned stop' ? 9000 : 4000);
  stream.kill('SIGTERM');
  await until('the client report', () => report.includes('\n'), TIMEOUT_MS + 10_000);
  const out = JSON.parse(report) as Outcome;
  const movedAt = arrival.addedAt() ?? moved;
  for (const c of cleanups.splice(0).reverse()) c();
  return { ...out, vipMoveMs: movedAt - t0, cutByMove: out.failures.filter((f) => cutByVipMove(f, movedAt)).length };
}

const rows: string[] = [];
for (const kind of (process.env.BENCH_PAIRS ?? 'haproxy,lbagent').split(',') as PairKind[]) {
  for (const what of ['planned stop', 'crash'] as const) {
    const r = await scenario(kind, what);
    const gap = r.failed ? `${r.lastFailAt! - r.firstFailAt! + INTERVAL_MS} ms` : '0';
    rows.push(`| ${kind} | ${what} | ${r.ok} | ${r.failed} | ${r.cutByMove} | ${gap} | ${r.longestGapMs} ms | ${r.vipMoveMs} ms |`);
    console.log(rows.at(-1));
  }
}
console.log(`\nkeepalived: advert_int ${ADVERT} s, check interval ${CHECK} s fall ${FALL}; one request every ${INTERVAL_MS} ms on a new connection, ${TIMEOUT_MS} ms timeout`);
// "open across the VIP move": requests whose connection the move itself cut (sent to the old holder, still open
// when the VIP left it); no balancer can save those (test/helpers/keepalived.ts, cutByVipMove)
console.log('| pair | event | ok | failed | of which open across the VIP move | time with failures | longest gap between successes | VIP moved after |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
