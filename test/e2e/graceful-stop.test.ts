// A balancer's readiness and its graceful stop (issue 18): GET /v1/health answers 200 while it serves, without the
// admin token (and says nothing else); on SIGTERM it answers 503 at once for global.shutdown_delay while every
// request is still served, then stops accepting, lets in-flight requests finish, leaves the gossip cluster and
// exits 0. A second SIGTERM skips what is left of the delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lbagentBin } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { GiveUp, waitFor } from '../helpers/wait.js';
import { startBackend } from '../proxy/fixtures.js';

type TestContext = import('node:test').TestContext;
const TOKEN = 'health-test-token';

async function startBalancer(t: TestContext, shutdownDelay: string) {
  const dir = tempDir(t, 'lbagent-graceful-');
  const [fe, admin, gossip] = [await freePort(), await freePort(), await freePort()];
  // the app answers after ?delay=MS: an in-flight request across the stop
  const app = await startBackend('app', (req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    setTimeout(() => res.end('app'), delay);
  });
  t.after(() => app.close());
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `global: { shutdown_delay: ${shutdownDelay} }`,
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    // static servers in web; the roles fill another backend (gossip runs only with roles)
    `backends: { web: { servers: [{ name: app, addr: "127.0.0.1:${app.port}" }] }, discovered: {} }`,
    `admin: { bind: 127.0.0.1:${admin}, token: ${TOKEN} }`,
    'roles: { roles: { web: { lb: [discovered] } } }',
    `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, profile: local, snapshot: false }`,
    '',
  ].join('\n'));
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' } });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/v1/health`);
    return { status: res.status, body: (await res.json()) as { status: string; why: string[]; checks: Record<string, string> } };
  };
  const get = async (path = '/') => {
    const res = await fetch(`http://127.0.0.1:${fe}${path}`);
    return `${res.status} ${await res.text()}`;
  };
  await waitFor('the balancer serves', async () => {
    if (proc.exitCode !== null) throw new GiveUp(`the balancer exited:\n${out}`);
    return (await health().catch(() => undefined))?.status === 200 && (await get().catch(() => '')) === '200 app';
  }, { timeoutMs: 60_000 });
  return { proc, out: () => out, health, get, admin };
}

const exit = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

test('/v1/health: 200 while serving, without the token; nothing else is open without it', { timeout: 120_000 }, async (t) => {
  const lb = await startBalancer(t, '1s');
  const h = await lb.health();
  assert.equal(h.status, 200);
  assert.deepEqual(h.body, { status: 'serving', why: [], checks: { listeners: 'ok', gossip: 'ok' } });
  assert.equal((await fetch(`http://127.0.0.1:${lb.admin}/v1/stats`)).status, 401);
  assert.equal((await fetch(`http://127.0.0.1:${lb.admin}/v1/nothing-here`)).status, 401, 'no path is told without the token');
  assert.equal((await fetch(`http://127.0.0.1:${lb.admin}/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
});

test('SIGTERM: 503 for shutdown_delay while serving, then in-flight requests finish, a leave, exit 0', { timeout: 120_000 }, async (t) => {
  // a delay long enough for a busy machine to see each step inside it
  const lb = await startBalancer(t, '8s');
  const t0 = Date.now();
  lb.proc.kill('SIGTERM');
  await waitFor('health says 503 at once', async () => (await lb.health()).status === 503, { timeoutMs: 6000, intervalMs: 20 });
  const h = await lb.health();
  assert.deepEqual(h.body.why, ['stopping: SIGTERM received']);
  // everything still serves during the delay, new connections included
  for (let i = 0; i < 5; i++) assert.equal(await lb.get(), '200 app');
  // a request in flight when the stop begins is finished
  const slow = lb.get(`/?delay=${Math.max(0, 8000 - (Date.now() - t0)) + 1500}`);
  const code = await exit(lb.proc);
  assert.equal(await slow, '200 app');
  assert.equal(code, 0, lb.out());
  assert.ok(Date.now() - t0 >= 8000, 'not before the delay');
  const lines = lb.out().split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/SIGTERM received: health check now failing; stopping in 8000 ms/) >= 0, lb.out());
  assert.ok(at(/stopping: no new connections/) > at(/SIGTERM received/), 'the stop comes after the delay');
  assert.ok(at(/Proxy stopped/) > at(/stopping: no new connections/));
});

test('a second SIGTERM skips what is left of the delay', { timeout: 120_000 }, async (t) => {
  const lb = await startBalancer(t, '60s');
  const t0 = Date.now();
  lb.proc.kill('SIGTERM');
  await waitFor('503', async () => (await lb.health()).status === 503, { timeoutMs: 5000, intervalMs: 20 });
  lb.proc.kill('SIGTERM');
  assert.equal(await exit(lb.proc), 0, lb.out());
  assert.ok(Date.now() - t0 < 30_000, `stopped after ${Date.now() - t0} ms`);
  assert.match(lb.out(), /SIGTERM received again: stopping now/);
});
