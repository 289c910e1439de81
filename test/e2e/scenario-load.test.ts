// The whole story under continuous load, all real processes on 127.0.0.1: a balancer (`lbagent balancer`, built-in
// proxy, roles.yml) and app servers each with its own `lbagent agent`. Join → traffic, pause → no new requests while
// the in-flight one completes, resume, role change by `lbagent tags`, leave → drained and removed: zero failed
// client requests. Then SIGKILL of an app and its agent: out of rotation by health check or gossip; the requests
// that failed before detection are counted and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

test('join, pause, resume, role change, leave under continuous load: zero failed requests; SIGKILL counted', { timeout: 240_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-scenario-');
  const procs: ChildProcess[] = [];
  t.after(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  const spawnTracked = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' } });
    procs.push(p);
    return p;
  };
  const [fe, admin, gossip] = await Promise.all([freePort(), freePort(), freePort()]);
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web: { lb: [web], check: { interval: 200ms, rise: 1, fall: 2 } }\n  api: { lb: [api] }\n');
  writeFileSync(join(dir, 'lbagent.yml'), `
frontends: { www: { bind: "127.0.0.1:${fe}", default_backend: web } }
backends:
  web: { retries: 3, redispatch: true, check: { type: http, path: /health }, grace: 5s }
  api: {}
admin: { bind: "127.0.0.1:${admin}" }
roles: ./roles.yml
gossip: { node: lb-1, bind: "127.0.0.1:${gossip}", profile: local }
controller: { failed_grace: 2s, leave_grace: 2s, resync: 5s }
`);
  spawnTracked(process.execPath, [lbagentBin, 'balancer', '-c', join(dir, 'lbagent.yml')]);
  const adminGet = async (path: string) => (await fetch(`http://127.0.0.1:${admin}${path}`)).json();
  await waitFor('balancer up', async () => (await fetch(`http://127.0.0.1:${admin}/v1/backends`).then((r) => r.ok).catch(() => false)), { timeoutMs: 30_000 });

  // App servers: each answers its name; /slow answers after 1.5 s (an in-flight request across a pause).
  interface App { name: string; port: number; rpc: number; app: ChildProcess; agent: ChildProcess }
  const apps: App[] = [];
  const startApp = async (name: string) => {
    const [port, bind, rpc] = [await freePort(), await freePort(), await freePort()];
    const app = spawnTracked(process.execPath, ['-e', `require('http').createServer((q, s) => q.url === '/slow' ? setTimeout(() => s.end('${name}'), 1500) : s.end('${name}')).listen(${port}, '127.0.0.1')`]);
    const agent = spawnTracked(process.execPath, [lbagentBin, 'join', `127.0.0.1:${gossip}`, '--node', name, '--role', 'web', '--tag', `port=${port}`, '--bind', `127.0.0.1:${bind}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local']);
    const a = { name, port, rpc, app, agent };
    apps.push(a);
    return a;
  };
  const pool = async (backend = 'web') => ((await adminGet(`/v1/backends/${backend}`)) as { servers: { name: string; status: string; removing?: boolean }[] }).servers;
  const statusOf = async (name: string, backend = 'web') => (await pool(backend)).find((s) => s.name === name && !s.removing)?.status;

  for (const n of ['web-1', 'web-2', 'web-3']) await startApp(n);
  await waitFor('three servers UP', async () => (await pool()).filter((s) => s.status === 'UP').length === 3, { timeoutMs: 60_000 });

  // Continuous load: 8 keep-alive clients, every request accounted.
  const agentPool = new Agent({ keepAlive: true, maxSockets: 8 });
  let ok = 0;
  const failures: string[] = [];
  const servedBy = new Map<string, number>();
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: fe, path: '/', agent: agentPool, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) {
            ok++;
            servedBy.set(body, Date.now());
          } else failures.push(`${res.statusCode} ${body.slice(0, 40)}`);
          resolve();
        });
      });
      req.on('error', (err) => (failures.push(err.message), resolve()));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  const load = Array.from({ length: 8 }, async () => {
    while (running) await one();
  });

  // join → traffic
  await startApp('web-4');
  await waitFor('web-4 serves', () => servedBy.has('web-4'), { timeoutMs: 30_000 });
  // pause → DRAIN: its in-flight request completes, no new ones
  // Slow requests in flight on every server (round robin spreads them) while web-1 is paused.
  const inflight = Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${fe}/slow`).then(async (r) => `${r.status} ${await r.text()}`));
  await new Promise((r) => setTimeout(r, 300));
  await run(process.execPath, [lbagentBin, 'event', 'pause', '--rpc-addr', `127.0.0.1:${apps[0]!.rpc}`]);
  await waitFor('web-1 DRAIN', async () => (await statusOf('web-1')) === 'DRAIN', { timeoutMs: 30_000 });
  const slow = await Promise.all(inflight);
  assert.ok(slow.includes('200 web-1'), `a request in flight on web-1 across the pause completed: ${slow.join(', ')}`);
  assert.ok(slow.every((x) => x.startsWith('200 ')));
  const pausedAt = Date.now();
  await new Promise((r) => setTimeout(r, 800));
  assert.ok((servedBy.get('web-1') ?? 0) <= pausedAt + 50, 'no new request reached the paused server');
  // resume
  await run(process.execPath, [lbagentBin, 'event', 'resume', '--rpc-addr', `127.0.0.1:${apps[0]!.rpc}`]);
  await waitFor('web-1 serves again', () => (servedBy.get('web-1') ?? 0) > pausedAt + 800, { timeoutMs: 30_000 });
  // role change by lbagent tags → moves from web to api
  await run(process.execPath, [lbagentBin, 'tags', '--set', 'role=api', '--rpc-addr', `127.0.0.1:${apps[1]!.rpc}`]);
  await waitFor('web-2 moved to api', async () => (await statusOf('web-2', 'api')) !== undefined && (await statusOf('web-2')) === undefined, { timeoutMs: 30_000 });
  // leave → drained, then removed
  await run(process.execPath, [lbagentBin, 'leave', '--rpc-addr', `127.0.0.1:${apps[2]!.rpc}`]);
  await waitFor('web-3 removed', async () => !(await pool()).some((s) => s.name === 'web-3'), { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(failures, [], `zero failed requests through join, pause, resume, role change and leave (${ok} ok)`);

  // SIGKILL web-4 (app and agent): out of rotation by the health check (inter 200ms × fall 2) or gossip.
  const killedAt = Date.now();
  apps[3]!.app.kill('SIGKILL');
  apps[3]!.agent.kill('SIGKILL');
  await waitFor('web-4 out of rotation', async () => {
    const s = await statusOf('web-4');
    return s === undefined || s === 'DOWN' || s === 'MAINT';
  }, { timeoutMs: 30_000 });
  const detectedMs = Date.now() - killedAt;
  const okBefore = ok;
  await waitFor('traffic continues', () => ok > okBefore + 50);
  running = false;
  await Promise.all(load);
  agentPool.destroy();
  t.diagnostic(`requests ok: ${ok}; failed after the SIGKILL, before detection (${detectedMs} ms): ${failures.length}`);
  assert.ok(failures.length <= 50, `failures only around the SIGKILL (${failures.length}: ${failures.slice(0, 3).join('; ')})`);
});
