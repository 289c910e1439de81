// `lbagent balancer` as processes with real `serf agent`s as app nodes (serf 0.9.4): join → traffic, serf event
// pause/resume, roles.yml edits (valid and invalid), a restarted balancer keeps pauses (join -replay), two
// balancers compute the same pools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { needTool } from '../helpers/tools.js';
import { startBackend } from '../proxy/fixtures.js';

const run = promisify(execFile);

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

test('balancer processes with real serf agents', { timeout: 180_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-e2e-'));
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    rmSync(dir, { recursive: true, force: true });
  });
  const apps = await Promise.all(['a1', 'a2'].map((n) => startBackend(n)));
  t.after(() => Promise.all(apps.map((a) => a.close())));

  // two app nodes: real serf agents with role web
  const agents: Array<{ name: string; bind: number; rpc: number; proc: ChildProcess }> = [];
  for (const [i, app] of apps.entries()) {
    const name = `web-${i + 1}`;
    const join = agents[0] ? [`-join=127.0.0.1:${agents[0].bind}`] : [];
    const { bind, rpc, proc } = await startSerfAgent(t, name, ['-tag', 'role=web', '-tag', `port=${app.port}`, '-profile=local', ...join]);
    procs.push(proc);
    agents.push({ name, bind, rpc, proc });
  }
  const rolesFile = join(dir, 'roles.yml');
  writeFileSync(rolesFile, 'roles:\n  web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 1 } }\n');

  async function balancer(name: string) {
    const fe = await freePort();
    const admin = await freePort();
    const gossip = await freePort();
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, [
      `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
      'backends: { web: {}, api: {} }',
      `admin: { bind: 127.0.0.1:${admin} }`,
      'roles: ./roles.yml',
      `gossip: { node: ${name}, bind: 127.0.0.1:${gossip}, join: [127.0.0.1:${agents[0]!.bind}], profile: local }`,
      'controller: { failed_grace: 2s, leave_grace: 1s, resync: 5s }',
      '',
    ].join('\n'));
    const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { stdio: 'ignore', env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' } });
    procs.push(proc);
    const pools = async () => {
      const res = await fetch(`http://127.0.0.1:${admin}/v1/backends/web`);
      const b = (await res.json()) as { servers: Array<{ name: string; admin: string; removing?: boolean }> };
      return b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}`).sort().join();
    };
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${fe}/`);
      return (await res.text()).split(' ')[0];
    };
    return { proc, pools, get };
  }

  const b1 = await balancer('lb-1');
  await waitFor('both web nodes in the pool', async () => (await b1.pools()) === 'web-1:ready,web-2:ready', { timeoutMs: 60_000 });
  await waitFor('traffic to both', async () => new Set([await b1.get(), await b1.get(), await b1.get(), await b1.get()]).size === 2, { timeoutMs: 30_000 });

  await run('serf', ['event', `-rpc-addr=127.0.0.1:${agents[0]!.rpc}`, 'pause', 'web-1 127.0.0.1 web']);
  await waitFor('web-1 drained', async () => (await b1.pools()) === 'web-1:drain,web-2:ready', { timeoutMs: 30_000 });

  // a second balancer, started after the pause: same pools (the pause is replayed at its join)
  const b2 = await balancer('lb-2');
  await waitFor('lb-2 has the same pools', async () => (await b2.pools()) === 'web-1:drain,web-2:ready', { timeoutMs: 60_000 });

  // restart lb-1: paused still paused
  b1.proc.kill('SIGTERM');
  await exited(b1.proc);
  const b1b = await balancer('lb-1');
  await waitFor('restarted lb-1: web-1 still paused', async () => (await b1b.pools()) === 'web-1:drain,web-2:ready', { timeoutMs: 60_000 });

  await run('serf', ['event', `-rpc-addr=127.0.0.1:${agents[1]!.rpc}`, 'resume', 'web-1']);
  await waitFor('web-1 resumed on both', async () => (await b1b.pools()) === 'web-1:ready,web-2:ready' && (await b2.pools()) === 'web-1:ready,web-2:ready', { timeoutMs: 30_000 });

  // role change by tags: web-2 becomes api
  await run('serf', ['tags', `-rpc-addr=127.0.0.1:${agents[1]!.rpc}`, '-set', 'role=api']);
  await waitFor('web-2 out of web (role api not in roles.yml)', async () => (await b1b.pools()) === 'web-1:ready', { timeoutMs: 30_000 });
  // roles.yml edit: api role now serves in web too
  writeFileSync(rolesFile, 'roles:\n  web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 1 } }\n  api: { lb: [web], check: { enabled: false } }\n');
  await waitFor('roles.yml followed', async () => (await b1b.pools()) === 'web-1:ready,web-2:ready', { timeoutMs: 30_000 });
  writeFileSync(rolesFile, 'roles:\n  web: { lb: [web] \n');
  await new Promise((r) => setTimeout(r, 1500)); // give the watcher a chance to (wrongly) apply it
  assert.equal(await b1b.pools(), 'web-1:ready,web-2:ready', 'invalid roles.yml keeps the old pools');

  // leave → drained then removed; SIGKILL → out of rotation
  await run('serf', ['leave', `-rpc-addr=127.0.0.1:${agents[1]!.rpc}`]);
  await waitFor('web-2 removed after leave', async () => (await b1b.pools()) === 'web-1:ready', { timeoutMs: 30_000 });
  agents[0]!.proc.kill('SIGKILL');
  await waitFor('web-1 removed after failure', async () => (await b1b.pools()) === '', { timeoutMs: 60_000 });
});
