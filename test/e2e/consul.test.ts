// `lbagent balancer` (built-in proxy) taking members from Consul (the HTTP API stand-in: no Consul binary can be
// installed here) and from gossip (a real serf agent) into one backend: register → traffic, maintenance → drain,
// critical → removed, deregister → removed, Consul answering 500 or not at all → the pool and the traffic stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { needTool } from '../helpers/tools.js';
import { startConsulStandin } from '../helpers/consul-standin.js';
import { startBackend } from '../proxy/fixtures.js';

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

test('balancer with members from Consul and gossip in one backend', { timeout: 240_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-consul-'));
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    rmSync(dir, { recursive: true, force: true });
  });
  const apps = await Promise.all(['c1', 'c2', 'g1', 'c3'].map((n) => startBackend(n)));
  t.after(() => Promise.all(apps.map((a) => a.close())));
  const [c1, c2, g1, c3] = apps as [(typeof apps)[0], (typeof apps)[0], (typeof apps)[0], (typeof apps)[0]];

  const consul = await startConsulStandin({ token: 'lb-secret', jitter: true });
  t.after(() => consul.close());
  const svc = (id: string, port: number, meta: Record<string, string> = {}) => ({ id, name: 'shop', port, address: '127.0.0.1', meta, checks: [{ id: `service:${id}`, name: `Service '${id}' check`, status: 'passing' as const }] });
  consul.register('node-1', '127.0.0.1', svc('shop-1', c1.port, { weight: '3' }));
  consul.register('node-2', '127.0.0.1', svc('shop-2', c2.port));

  const serf = await startSerfAgent(t, 'gossip-1', ['-tag', 'role=web', '-tag', `port=${g1.port}`, '-profile=local']);
  procs.push(serf.proc);

  const [fe, admin, gossip] = [await freePort(), await freePort(), await freePort()];
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    'backends: { web: {} }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'roles:',
    '  roles:',
    '    web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 1 } }',
    `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, join: [127.0.0.1:${serf.bind}], profile: local, snapshot: false }`,
    'controller: { failed_grace: 2s, leave_grace: 1s, resync: 5s }',
    'sources:',
    '  consul:',
    `    address: ${consul.url}`,
    '    token: ${CONSUL_TOKEN}',
    `    datacenter: ${consul.datacenter}`,
    '    wait: 2s',
    '    retry: 200ms',
    '    services: [{ name: shop, role: web }]',
    '',
  ].join('\n'));
  const logs: string[] = [];
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_FORMAT: 'json', CONSUL_TOKEN: 'lb-secret' } });
  procs.push(proc);
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (c: Buffer) => logs.push(...c.toString().split('\n').filter(Boolean)));
  let finished = false;
  t.after(() => {
    if (!finished) console.log(logs.filter((l) => !l.includes('"access":true')).slice(-60).join('\n'));
  });
  const said = (re: RegExp) => logs.filter((l) => re.test(l));

  const servers = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/v1/backends/web`);
    const b = (await res.json()) as { servers: Array<{ name: string; admin: string; weight: number; removing?: boolean }> };
    return b.servers.filter((s) => !s.removing);
  };
  const pools = async () => (await servers()).map((s) => `${s.name}:${s.admin}`).sort().join();
  const get = async () => {
    const res = await fetch(`http://127.0.0.1:${fe}/`);
    return (await res.text()).split(' ')[0]!;
  };
  /** who answered `n` requests */
  const spread = async (n = 24) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(await get());
    return [...seen].sort().join();
  };

  await waitFor('Consul and gossip members in one pool', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready,node-2.shop-2:ready', { timeoutMs: 60_000 });
  assert.equal((await servers()).find((s) => s.name === 'node-1.shop-1')!.weight, 3, "Consul's meta weight");
  await waitFor('traffic reaches all three', async () => (await spread()) === 'c1,c2,g1', { timeoutMs: 30_000 });
  assert.ok(consul.requests.every((r) => r.token === 'lb-secret' && r.query.dc === 'dc1'), 'token and datacenter on every query');
  assert.ok(consul.requests.some((r) => r.query.index !== undefined && r.query.wait === '2s'), 'blocking queries');

  // consul maint -enable -service shop-1 → drain
  consul.maint('node-1', 'shop-1', true, 'deploy 42');
  await waitFor('maintenance → drain', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:drain,node-2.shop-2:ready', { timeoutMs: 30_000 });
  await waitFor('no new traffic to the drained one', async () => (await spread()) === 'c2,g1', { timeoutMs: 30_000 });
  const drained = (await fetch(`http://127.0.0.1:${admin}/v1/backends/web`).then((r) => r.json())) as { servers: Array<{ name: string; reason?: string }> };
  assert.match(drained.servers.find((x) => x.name === 'node-1.shop-1')!.reason ?? '', /consul: service maintenance: "deploy 42": drain/, 'lbagent servers says why');
  consul.maint('node-1', 'shop-1', false);
  await waitFor('maintenance off → ready', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready,node-2.shop-2:ready', { timeoutMs: 30_000 });

  // critical → removed; passing again → back
  consul.setCheck('node-2', 'shop-2', 'service:shop-2', 'critical', 'HTTP GET: 503 Service Unavailable');
  await waitFor('critical → removed', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready', { timeoutMs: 30_000 });
  await waitFor('traffic to the others', async () => (await spread()) === 'c1,g1', { timeoutMs: 30_000 });
  consul.setCheck('node-2', 'shop-2', 'service:shop-2', 'passing');
  await waitFor('passing → back', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready,node-2.shop-2:ready', { timeoutMs: 30_000 });

  // register → traffic; deregister → removed
  consul.register('node-3', '127.0.0.1', svc('shop-3', c3.port));
  await waitFor('registered → traffic', async () => (await spread(32)) === 'c1,c2,c3,g1', { timeoutMs: 30_000 });
  consul.deregister('node-3', 'shop-3');
  await waitFor('deregistered → removed', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready,node-2.shop-2:ready', { timeoutMs: 30_000 });

  // Consul answers 500: nothing changes, traffic flows, logged once
  const full = 'gossip-1:ready,node-1.shop-1:ready,node-2.shop-2:ready';
  consul.fail(500);
  const before = consul.requests.length;
  await waitFor('the balancer sees 500s', () => consul.requests.length >= before + 3 && said(/query failed \(HTTP 500: No cluster leader\)/).length > 0, { timeoutMs: 30_000 });
  assert.equal(await pools(), full);
  assert.equal(await spread(), 'c1,c2,g1');
  assert.equal(said(/query failed \(HTTP 500/).length, 1, 'logged once');
  // Consul stops answering at all: the same
  consul.fail(undefined);
  consul.hang(true);
  await waitFor('a query timed out', () => said(/no answer in/).length > 0, { timeoutMs: 60_000 });
  assert.equal(await pools(), full);
  assert.equal(await spread(), 'c1,c2,g1');
  // back: changes made meanwhile arrive
  consul.deregister('node-2', 'shop-2');
  consul.hang(false);
  await waitFor('Consul back: its changes apply', async () => (await pools()) === 'gossip-1:ready,node-1.shop-1:ready', { timeoutMs: 60_000 });
  assert.ok(said(/Consul answers again/).length >= 1);
  await waitFor('traffic to the rest', async () => (await spread()) === 'c1,g1', { timeoutMs: 30_000 });

  proc.kill('SIGTERM');
  await exited(proc);
  finished = true;
});
