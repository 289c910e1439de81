// npm run bench:controller — issue 5: how fast membership changes reach the proxy, and what they cost clients.
// lbagent: N app servers each with `lbagent agent --role web --profile lan` joined to one `lbagent balancer`
// (built-in proxy, roles.yml maps web to a backend with an http check inter 1s rise 1). The old way, in the same
// run: a real `serf agent` per app server, and on the balancer a serf agent whose member/user event handler is a
// shell script that rewrites haproxy.cfg and reloads the master-worker (SIGUSR2). Under keep-alive load from its
// own process, it measures join → first request served by the new server, pause event → server drained (lbagent)
// or gone (HAProxy), SIGKILL of agent+app → out of rotation, and failed client requests over the whole run.
// Env: BENCH_AGENTS (50), BENCH_JOINS (10), BENCH_CONNS (16), BENCH_REDISPATCH (1: both proxies retry 3 times and
// redispatch to another server, HAProxy's `retries 3` + `option redispatch`; 0: each proxy's defaults).
import { fork, spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/ports.js';
import { waitPort } from './lib/procs.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const BIN = join(root, 'bin', 'lbagent.js');
const N = Number(process.env.BENCH_AGENTS ?? 50);
const JOINS = Number(process.env.BENCH_JOINS ?? 10);
const CONNS = Number(process.env.BENCH_CONNS ?? 16);
const REDISPATCH = process.env.BENCH_REDISPATCH !== '0';
const run = promisify(execFile);
for (const [cmd, arg] of [['haproxy', '-v'], ['serf', 'version']] as const) {
  if (spawnSync(cmd, [arg]).status !== 0) {
    console.error(`bench:controller needs ${cmd} (apt-get install -y ${cmd})`);
    process.exit(2);
  }
}

const now = () => performance.timeOrigin + performance.now();
const pct = (xs: number[], p: number) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const name = (i: number) => `web-${String(i).padStart(2, '0')}`;

// Every child this bench starts, so that any exit path kills them all.
const children = new Set<ChildProcess>();
function track<T extends ChildProcess>(c: T): T {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}
function gone(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}
async function killAll(): Promise<void> {
  const all = [...children];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map(gone));
}
process.once('SIGINT', () => void killAll().then(() => process.exit(130)));

/** Poll `done` every 10 ms; the epoch ms of the first poll that saw it, NaN after the deadline. */
async function until(done: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done().catch(() => false)) return now();
    await sleep(10);
  }
  return NaN;
}

/** The app servers (bench/lib/controller-apps.mjs): open a named server on a port, or kill it. */
function startApps() {
  const child = track(fork(join(root, 'bench', 'lib', 'controller-apps.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const opened = new Map<string, () => void>();
  child.on('message', (m: { opened?: string }) => m.opened && opened.get(m.opened)?.());
  return {
    open: (n: string, port: number) => new Promise<void>((r) => (opened.set(n, r), child.send({ open: n, port }))),
    kill: (n: string) => child.send({ kill: n }),
    child,
  };
}

interface LoadResult {
  ok: number;
  failed: number;
  /** phase → cause (HTTP status or socket error code) → failed requests */
  byPhase: Record<string, Record<string, number>>;
  seconds: number;
}

/** Keep-alive load in its own process (bench/lib/http-load.mjs); bodies are app server names. */
function startLoad(front: number) {
  const child = track(fork(join(root, 'bench', 'lib', 'http-load.mjs'), [String(front), String(CONNS)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const waiters = new Map<string, (at: number) => void>();
  let final: ((r: LoadResult) => void) | undefined;
  child.on('message', (m: { body?: string; at?: number } | LoadResult) => {
    if ('body' in m && m.body !== undefined) waiters.get(m.body)?.(m.at!);
    else final?.(m as LoadResult);
  });
  return {
    /** epoch ms of the first response from server `n` after now (NaN after 60 s) */
    firstFrom(n: string): Promise<number> {
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(NaN), 60_000);
        waiters.set(n, (at) => (clearTimeout(t), resolve(at)));
        child.send({ watch: n });
      });
    },
    /** later failed requests count under `name` */
    phase: (name: string) => child.send({ phase: name }),
    stop: () => new Promise<LoadResult>((resolve) => ((final = resolve), child.send({ stop: true }))),
  };
}

interface Node {
  name: string;
  app: number;
  rpc: number;
  proc: ChildProcess;
}
interface Scenario {
  /** start the balancer side; returns its frontend port */
  startBalancer(): Promise<number>;
  /** start an app server's agent; joined to the balancer at start unless `join` is false */
  startAgent(n: string, app: number, joinAtStart: boolean): Promise<Node>;
  join(node: Node): Promise<void>;
  pause(node: Node): Promise<void>;
  /** server `n` as the proxy sees it */
  state(n: string): Promise<'absent' | 'ready' | 'drain' | 'out' | 'up'>;
  /** servers serving in the pool */
  serving(): Promise<number>;
  stop(): Promise<void>;
}
interface Row {
  mode: string;
  joins: number[];
  pauses: number[];
  kills: number[];
  ok: number;
  failed: number;
  byPhase: LoadResult['byPhase'];
}

async function measure(mode: string, s: Scenario): Promise<Row> {
  const apps = startApps();
  const front = await s.startBalancer();
  const nodes: Node[] = [];
  for (let i = 1; i <= N; i += 5) {
    const batch = Array.from({ length: Math.min(5, N - i + 1) }, (_, k) => i + k);
    nodes.push(...(await Promise.all(batch.map(async (k) => {
      const app = await freePort();
      await apps.open(name(k), app);
      return s.startAgent(name(k), app, true);
    }))));
  }
  const up = await until(async () => (await s.serving()) === N, 180_000);
  if (!Number.isFinite(up)) throw new Error(`${mode}: ${await s.serving()} of ${N} servers in the pool after 180 s`);
  process.stderr.write(`${mode}: ${N} servers in the pool\n`);
  const load = startLoad(front);
  await sleep(1000);

  const joins: number[] = [];
  load.phase('join');
  for (let j = 1; j <= JOINS; j++) {
    const n = name(N + j);
    const app = await freePort();
    await apps.open(n, app);
    const node = await s.startAgent(n, app, false);
    nodes.push(node);
    await sleep(300);
    const served = load.firstFrom(n);
    const t0 = now();
    await s.join(node);
    joins.push((await served) - t0);
  }
  // let the joined servers settle (all in the pool) before pausing
  await until(async () => (await s.serving()) === nodes.length, 60_000);

  const pauseCount = Math.min(10, nodes.length - 6);
  const killCount = Math.min(5, nodes.length - pauseCount - 1);
  const pauses: number[] = [];
  load.phase('pause');
  for (const node of nodes.slice(0, pauseCount)) {
    const t0 = now();
    await s.pause(node);
    pauses.push((await until(async () => ['drain', 'absent'].includes(await s.state(node.name)))) - t0);
  }
  const kills: number[] = [];
  load.phase('kill');
  for (const node of nodes.slice(pauseCount, pauseCount + killCount)) {
    const t0 = now();
    node.proc.kill('SIGKILL');
    apps.kill(node.name);
    kills.push((await until(async () => ['out', 'absent'].includes(await s.state(node.name)), 120_000)) - t0);
  }
  await sleep(1000);
  const { ok, failed, byPhase } = await load.stop();
  await s.stop();
  apps.child.kill('SIGKILL');
  await gone(apps.child);
  for (const node of nodes) {
    node.proc.kill('SIGKILL');
    await gone(node.proc);
  }
  process.stderr.write(`${mode}: done\n`);
  return { mode, joins, pauses, kills, ok, failed, byPhase };
}

async function httpJson(method: string, url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** lbagent: `lbagent balancer` (built-in proxy) and `lbagent agent` per app server. */
function lbagentScenario(dir: string): Scenario {
  mkdirSync(dir, { recursive: true });
  let gossip = 0;
  let admin = 0;
  let balancer: ChildProcess | undefined;
  type Server = { name: string; admin?: string; status?: string; removing?: boolean };
  const servers = async () => ((await httpJson('GET', `http://127.0.0.1:${admin}/v1/backends/web`)) as { servers: Server[] }).servers;
  return {
    async startBalancer() {
      const fe = await freePort();
      admin = await freePort();
      gossip = await freePort();
      writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web:\n    lb: [web]\n    check: { interval: 1s, rise: 1, fall: 2 }\n');
      const file = join(dir, 'lbagent.yml');
      writeFileSync(file, [
        `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
        `backends: { web: { balance: roundrobin, check: { type: http, path: /, inter: 1s, rise: 1, fall: 2 }${REDISPATCH ? ', retries: 3, redispatch: true' : ''} } }`,
        `admin: { bind: 127.0.0.1:${admin} }`,
        'roles: ./roles.yml',
        `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, profile: lan }`,
        '',
      ].join('\n'));
      balancer = track(spawn(process.execPath, [BIN, 'balancer', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LBAGENT_LOG_LEVEL: 'warn' } }));
      await waitPort(admin, '127.0.0.1', 60_000);
      await waitPort(gossip, '127.0.0.1', 60_000).catch(() => undefined); // UDP+TCP: TCP listener answers
      return fe;
    },
    async startAgent(n, app, joinAtStart) {
      const bind = await freePort();
      const rpc = await freePort();
      const proc = track(spawn(process.execPath, [BIN, 'agent', '--node', n, '--bind', `127.0.0.1:${bind}`, '--rpc-addr', `127.0.0.1:${rpc}`,
        '--role', 'web', '--tag', `port=${app}`, '--profile', 'lan', ...(joinAtStart ? ['--join', `127.0.0.1:${gossip}`] : [])],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LBAGENT_LOG_LEVEL: 'warn' } }));
      await waitPort(rpc, '127.0.0.1', 60_000);
      return { name: n, app, rpc, proc };
    },
    async join(node) {
      await httpJson('POST', `http://127.0.0.1:${node.rpc}/v1/join`, { addrs: [`127.0.0.1:${gossip}`] });
    },
    async pause(node) {
      await httpJson('POST', `http://127.0.0.1:${node.rpc}/v1/event`, { name: 'pause' });
    },
    async state(n) {
      const s = (await servers()).find((x) => x.name === n);
      if (!s || s.removing) return 'absent';
      if (s.admin === 'drain') return 'drain';
      if (s.admin === 'maint' || /^(DOWN|MAINT)/.test(s.status ?? '')) return 'out';
      return s.admin === 'ready' ? 'ready' : 'up';
    },
    async serving() {
      return (await servers()).filter((x) => !x.removing && x.admin === 'ready' && /^UP/.test(x.status ?? 'UP')).length;
    },
    async stop() {
      if (balancer) {
        balancer.kill('SIGTERM');
        const t = setTimeout(() => balancer?.kill('SIGKILL'), 5000);
        await gone(balancer);
        clearTimeout(t);
      }
    },
  };
}

/** One command on HAProxy's stats socket. */
function haproxyCommand(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(`${cmd}\n`);
  });
}

/** The old way: serf agents, and a serf event handler that rewrites haproxy.cfg and reloads HAProxy. */
function serfScenario(dir: string): Scenario {
  mkdirSync(dir, { recursive: true });
  let gossip = 0;
  let lbRpc = 0;
  let haproxy: ChildProcess | undefined;
  let serfLb: ChildProcess | undefined;
  const socket = join(dir, 'admin.sock');
  const cfg = join(dir, 'haproxy.cfg');
  const servers = async () => {
    const out = await haproxyCommand(socket, 'show servers state web');
    const m = new Map<string, { op: number; admin: number }>();
    for (const line of out.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (line.startsWith('#') || f.length < 7) continue;
      m.set(f[3]!, { op: Number(f[5]), admin: Number(f[6]) });
    }
    return m;
  };
  return {
    async startBalancer() {
      const fe = await freePort();
      gossip = await freePort();
      lbRpc = await freePort();
      const head = `global
    stats socket ${socket} mode 600 level admin expose-fd listeners
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend www
    bind 127.0.0.1:${fe}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /
${REDISPATCH ? '    retries 3\n    option redispatch\n' : ''}`;
      writeFileSync(join(dir, 'head.cfg'), head);
      writeFileSync(cfg, head);
      writeFileSync(join(dir, 'paused'), '');
      haproxy = track(spawn('haproxy', ['-W', '-db', '-f', cfg], { stdio: 'ignore' }));
      await waitPort(fe);
      // What people wrote before lbagent: the member list → server lines, paused names left out, reload.
      const handler = join(dir, 'handler.sh');
      writeFileSync(handler, `#!/bin/sh
exec 9>${dir}/lock
flock 9
if [ "$SERF_EVENT" = user ]; then
  read -r name rest
  case "$SERF_USER_EVENT" in
    pause) echo "$name" >> ${dir}/paused ;;
    resume) grep -vx "$name" ${dir}/paused > ${dir}/paused.tmp; mv ${dir}/paused.tmp ${dir}/paused ;;
    *) exit 0 ;;
  esac
fi
{
  cat ${dir}/head.cfg
  serf members -rpc-addr=127.0.0.1:${lbRpc} -status=alive -tag role=web | while read -r n addr status tags; do
    grep -qx "$n" ${dir}/paused && continue
    port=$(echo "$tags" | tr ',' '\\n' | sed -n 's/^port=//p')
    echo "    server $n \${addr%:*}:$port check inter 1s rise 1 fall 2"
  done
} > ${cfg}.tmp
mv ${cfg}.tmp ${cfg}
kill -USR2 ${haproxy.pid}
`);
      chmodSync(handler, 0o755);
      serfLb = track(spawn('serf', ['agent', '-node=lb-1', `-bind=127.0.0.1:${gossip}`, `-rpc-addr=127.0.0.1:${lbRpc}`, '-profile=lan', '-tag', 'role=lb',
        `-event-handler=member-join,member-leave,member-failed,member-update,member-reap,user=${handler}`], { stdio: 'ignore' }));
      await waitPort(lbRpc, '127.0.0.1', 30_000);
      return fe;
    },
    async startAgent(n, app, joinAtStart) {
      const bind = await freePort();
      const rpc = await freePort();
      const proc = track(spawn('serf', ['agent', `-node=${n}`, `-bind=127.0.0.1:${bind}`, `-rpc-addr=127.0.0.1:${rpc}`, '-profile=lan',
        '-tag', 'role=web', '-tag', `port=${app}`, ...(joinAtStart ? [`-join=127.0.0.1:${gossip}`] : [])], { stdio: 'ignore' }));
      await waitPort(rpc, '127.0.0.1', 30_000);
      return { name: n, app, rpc, proc };
    },
    async join(node) {
      await run('serf', ['join', `-rpc-addr=127.0.0.1:${node.rpc}`, `127.0.0.1:${gossip}`]);
    },
    async pause(node) {
      await run('serf', ['event', `-rpc-addr=127.0.0.1:${node.rpc}`, 'pause', `${node.name} 127.0.0.1 web`]);
    },
    async state(n) {
      const s = (await servers()).get(n);
      if (!s) return 'absent';
      if (s.admin !== 0 || s.op === 0) return 'out'; // srv_op_state 0: STOPPED (check failed); admin ≠ 0: MAINT/DRAIN
      return 'up';
    },
    async serving() {
      return [...(await servers()).values()].filter((s) => s.admin === 0 && s.op === 2).length;
    },
    async stop() {
      serfLb?.kill('SIGKILL');
      if (serfLb) await gone(serfLb);
      if (haproxy) {
        haproxy.kill('SIGTERM'); // the master stops its workers, old ones included
        const t = setTimeout(() => haproxy?.kill('SIGKILL'), 5000);
        await gone(haproxy);
        clearTimeout(t);
      }
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'lbagent-bench-controller-'));
const rows: Row[] = [];
try {
  rows.push(await measure('lbagent', lbagentScenario(join(dir, 'lbagent'))));
  rows.push(await measure('serf', serfScenario(join(dir, 'serf'))));
} finally {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
}

const f = (xs: number[], p: number) => {
  const v = pct(xs, p);
  return Number.isFinite(v) ? v.toFixed(0) : '—';
};
const missed = (xs: number[]) => xs.filter((x) => !Number.isFinite(x)).length;
console.log(`\nbench:controller — ${new Date().toISOString()}: N = ${N} app servers + ${JOINS} joins on 127.0.0.1, gossip profile lan, check inter 1s rise 1 fall 2, ${REDISPATCH ? 'retries 3 + redispatch' : "each proxy's default retries, no redispatch"}, ${CONNS} keep-alive clients; HAProxy ${/version (\S+)/.exec(spawnSync('haproxy', ['-v']).stdout.toString())?.[1]}, serf ${spawnSync('serf', ['version']).stdout.toString().split('\n')[0]?.replace(/^Serf\s*/, '')}`);
console.log('| setup | join → first request served p50 / p99 ms | pause → drained (lbagent) / gone (HAProxy) p50 / p99 ms | SIGKILL → out of rotation p50 / p99 ms | requests ok | failed requests |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const label = r.mode === 'lbagent' ? 'lbagent agent + lbagent balancer (built-in proxy)' : 'serf agent + handler script (rewrite haproxy.cfg, SIGUSR2 reload)';
  const cell = (xs: number[]) => `${f(xs, 50)} / ${f(xs, 99)} (n=${xs.length}${missed(xs) ? `, ${missed(xs)} timed out` : ''})`;
  console.log(`| ${label} | ${cell(r.joins)} | ${cell(r.pauses)} | ${cell(r.kills)} | ${r.ok} | ${r.failed} |`);
}
console.log('\nFailed requests by phase (cause: count):');
for (const r of rows) {
  const phases = Object.entries(r.byPhase).map(([p, causes]) => `${p}: ${Object.entries(causes).map(([c, n]) => `${c} ×${n}`).join(', ')}`);
  console.log(`- ${r.mode}: ${phases.length ? phases.join('; ') : 'none'}`);
}
