// A balancer restarted with the same config gets its pools back by itself (issue 15, "Restarts"): it has no join
// list (the app servers joined it), it leaves gracefully on SIGTERM, and at start it rejoins the members its serf
// snapshot knew (default file in $STATE_DIRECTORY). A pause sent while it was down is honoured when it returns, a
// pause it had seen before stopping survives the restart, new events still count, and a real serf agent takes the
// rejoin too. A corrupt or unusable snapshot is logged and the balancer runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { findTool, underCi } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { startBackend } from '../proxy/fixtures.js';

const run = promisify(execFile);
// Under CI a missing serf fails (startSerfAgent says how to install it) rather than quietly leaving it out.
const haveSerf = findTool('serf') !== undefined || underCi();
type TestContext = import('node:test').TestContext;

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

function spawnTracked(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc = spawn(process.execPath, [lbagentBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_FORMAT: 'json', ...env } });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited(proc);
  });
  return { proc, out: () => out };
}

const cli = async (rpc: number, ...args: string[]) => (await run(process.execPath, [lbagentBin, ...args, '--rpc-addr', `127.0.0.1:${rpc}`])).stdout;

/** A balancer config with no gossip.join: app servers join it. The snapshot goes to its default place. */
async function balancerSetup(t: TestContext, dir: string) {
  const [fe, admin, gossip] = [await freePort(), await freePort(), await freePort()];
  const stateDir = join(dir, 'state');
  const file = join(dir, 'lb.yml');
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 1 } }\n');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    'backends: { web: {} }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'roles: ./roles.yml',
    `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, profile: local }`,
    'controller: { failed_grace: 2s, leave_grace: 1s, resync: 5s }',
    '',
  ].join('\n'));
  const start = () => spawnTracked(t, ['balancer', '-c', file], { STATE_DIRECTORY: stateDir });
  const pools = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/v1/backends/web`);
    const b = (await res.json()) as { servers: Array<{ name: string; admin: string; removing?: boolean }> };
    return b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}`).sort().join();
  };
  const get = async () => (await (await fetch(`http://127.0.0.1:${fe}/`)).text()).split(' ')[0];
  return { gossip, stateDir, snapshot: join(stateDir, `lb-1-${gossip}.snapshot`), start, pools, get };
}

test('a restarted balancer rejoins its app servers by itself; pauses sent while it was down, and before, hold', { timeout: 240_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-restart-');
  const lb = await balancerSetup(t, dir);
  const backends = await Promise.all(['a1', 'a2', 'a3'].map((n) => startBackend(n)));
  t.after(() => Promise.all(backends.map((b) => b.close())));

  let b = lb.start();
  await waitFor('balancer admin API', async () => (await lb.pools()) === '', { timeoutMs: 60_000 });
  // app servers join the balancer (README: lbagent join LB_IP --role web); it has no join list of its own
  const apps: Array<{ rpc: number }> = [];
  for (const [i, name] of ['web-1', 'web-2'].entries()) {
    const [g, rpc] = [await freePort(), await freePort()];
    const a = spawnTracked(t, ['join', `127.0.0.1:${lb.gossip}`, '--node', name, '--bind', `127.0.0.1:${g}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', '--role', 'web', '--tag', `port=${backends[i]!.port}`]);
    apps.push({ ...a, rpc });
  }
  let expectAll = 'web-1:ready,web-2:ready';
  if (haveSerf) {
    await startSerfAgent(t, 'web-3', ['-profile=local', '-tag', 'role=web', '-tag', `port=${backends[2]!.port}`, `-join=127.0.0.1:${lb.gossip}`]);
    expectAll += ',web-3:ready';
  } else t.diagnostic('serf is not installed (apt-get install serf): no serf agent among the app servers');
  await waitFor('every app server in the pool', async () => (await lb.pools()) === expectAll, { timeoutMs: 60_000 });
  const n = expectAll.split(',').length;
  await waitFor('traffic to every app server', async () => new Set(await Promise.all(Array.from({ length: 3 * n }, () => lb.get()))).size === n, { timeoutMs: 30_000 });

  // SIGTERM: a graceful leave; the app servers see it go and will not call back
  b.proc.kill('SIGTERM');
  await exited(b.proc);
  assert.equal(b.proc.exitCode, 0, b.out());
  const snap = readFileSync(lb.snapshot, 'utf8');
  assert.match(snap, /^alive: web-1 127\.0\.0\.1:\d+$/m);
  assert.match(snap, /^leave$/m);
  await waitFor('web-1 saw the balancer leave', async () => JSON.parse(await cli(apps[0]!.rpc, 'members', '--format', 'json')).find((m: { name: string }) => m.name === 'lb-1')?.status === 'left');

  // a pause while the balancer is down
  await cli(apps[0]!.rpc, 'event', 'pause');
  const expectPaused = expectAll.replace('web-1:ready', 'web-1:drain');

  const t0 = Date.now();
  b = lb.start();
  let adminUp = 0;
  await waitFor('restarted balancer: pools back, web-1 paused', async () => {
    const p = await lb.pools();
    adminUp ||= Date.now();
    return p === expectPaused;
  }, { timeoutMs: 60_000, intervalMs: 20 });
  const restartMs = Date.now() - t0;
  t.diagnostic(`restart to full pools: ${restartMs} ms from spawn (admin API answered after ${adminUp - t0} ms)`);
  assert.match(b.out(), /serf: Attempting re-join to previously known node: web-\d: 127\.0\.0\.1:\d+|serf: Attempting re-join to previously known node: web-3/);
  assert.match(b.out(), /serf: Re-joined to previously known node/);
  await waitFor('traffic again, not to the paused web-1', async () => {
    const got = new Set(await Promise.all(Array.from({ length: 3 * n }, () => lb.get())));
    return got.size === n - 1 && !got.has('a1');
  }, { timeoutMs: 30_000 });

  // restart again: the pause it has seen is not redelivered by serf, and still holds (the pause book beside the snapshot)
  b.proc.kill('SIGTERM');
  await exited(b.proc);
  b = lb.start();
  await waitFor('second restart: pools back, web-1 still paused', async () => (await lb.pools()) === expectPaused, { timeoutMs: 60_000 });
  // new events count after a restart (the clocks came back, nothing newer is taken for old)
  await cli(apps[1]!.rpc, 'event', 'resume', 'web-1');
  await waitFor('web-1 resumed', async () => (await lb.pools()) === expectAll, { timeoutMs: 30_000 });
  assert.doesNotMatch(b.out(), /"level":50/, 'no error logged');
});

test('a corrupt snapshot, or one that cannot be read, is logged and the balancer runs', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-restart-');
  const lb = await balancerSetup(t, dir);
  mkdirSync(lb.stateDir, { recursive: true });
  writeFileSync(lb.snapshot, Buffer.concat([Buffer.from('alive: web-1 127.0.0.1:'), Buffer.from([0, 0xff, 0xfe, 10, 1, 2, 3, 10]), Buffer.from('clock: nope\n')]));
  let b = lb.start();
  await waitFor('balancer up with a corrupt snapshot', async () => (await lb.pools()) === '', { timeoutMs: 60_000 });
  const warnings = () => b.out().split('\n').filter((l) => l.includes(lb.snapshot) && l.includes('"level":40'));
  await waitFor('the warning about the snapshot', () => warnings().length > 0);
  const warn = warnings();
  assert.equal(warn.length, 1, b.out());
  assert.match(warn[0]!, /skipped 3 bad line\(s\)/);
  // it keeps working: an app server joins and is served
  const backend = await startBackend('a1');
  t.after(() => backend.close());
  const [g, rpc] = [await freePort(), await freePort()];
  spawnTracked(t, ['join', `127.0.0.1:${lb.gossip}`, '--node', 'web-1', '--bind', `127.0.0.1:${g}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', '--role', 'web', '--tag', `port=${backend.port}`]);
  await waitFor('web-1 in the pool', async () => (await lb.pools()) === 'web-1:ready', { timeoutMs: 60_000 });
  b.proc.kill('SIGTERM');
  await exited(b.proc);
  assert.equal(b.proc.exitCode, 0);

  // a snapshot path that is a directory: cannot be read or written; the balancer runs without one
  const other = join(dir, 'other');
  mkdirSync(join(other, 'state', `lb-1-${lb.gossip}.snapshot`), { recursive: true });
  const lb2 = { ...lb, stateDir: join(other, 'state') };
  b = spawnTracked(t, ['balancer', '-c', join(dir, 'lb.yml')], { STATE_DIRECTORY: lb2.stateDir });
  await waitFor('balancer up with an unusable snapshot path', async () => (await lb.pools()) === '', { timeoutMs: 60_000 });
  await waitFor('the warning', () => /snapshot disabled: cannot open .*EISDIR/.test(b.out()));
  // and a state directory that cannot be created
  b.proc.kill('SIGTERM');
  await exited(b.proc);
  writeFileSync(join(dir, 'not-a-dir'), '');
  b = spawnTracked(t, ['balancer', '-c', join(dir, 'lb.yml')], { STATE_DIRECTORY: join(dir, 'not-a-dir', 'state') });
  await waitFor('balancer up without a state directory', async () => (await lb.pools()) === '', { timeoutMs: 60_000 });
  await waitFor('the warning', () => /snapshot disabled: cannot create directory/.test(b.out()));
  assert.equal(readdirSync(dir).includes('not-a-dir'), true);
  assert.equal(existsSync(join(dir, 'not-a-dir', 'state')), false);
});
