// The deployment the README describes, on hosts of their own (network namespaces: own IP, own loopback, default
// ports everywhere) with no 127.0.0.1 between them: a balancer host (`lbagent balancer -c`, gossip on the default
// port, frontend on :80), app hosts each running an HTTP app and `lbagent join LB_IP --role web` (default RPC),
// one app host running a real `serf agent` instead, and a client host. The gossip is encrypted throughout.
// Covers: join → traffic to each app host by its own IP, `lbagent event pause`/`resume`, `lbagent leave`, SIGKILL
// of an agent (failed, removed), serf interop. Skipped with the reason where namespaces are not allowed.
import { test } from 'node:test';
import { needNetns, needTool } from '../helpers/tools.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host } from '../helpers/netns.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const KEY = 'cg8StVXbQJ0gPvMd9o7yrg==';

interface PoolServer {
  name: string;
  addr: string;
  port: number;
  admin: string;
  status: string;
  removing?: boolean;
}

test('multi-host: join, traffic by host IP, pause/resume, leave, SIGKILL, encryption, serf interop', { timeout: 240_000 }, async (t) => {
  if (!needNetns(t)) return;
  if (!needTool(t, 'serf')) return;
  const topo = buildHosts(t, ['lb', 'web1', 'web2', 'web3', 'client']);
  const [lb, web1, web2, web3, client] = topo.hosts as [Host, Host, Host, Host, Host];
  const dir = tempDir(t, 'lbagent-multihost-');
  const cli = (h: Host, ...args: string[]) => h.run(process.execPath, [lbagentBin, ...args]);

  // The balancer host: frontend :80, admin on its default (127.0.0.1:9901), gossip on the default 0.0.0.0:7946.
  const config = join(dir, 'lbagent.yml');
  writeFileSync(config, [
    'frontends: { www: { bind: "*:80", default_backend: web } }',
    'backends: { web: { balance: roundrobin, check: { type: http, path: / } } }',
    'roles:',
    '  defaults: { check: { interval: 300ms, rise: 1, fall: 1 } }',
    '  roles: { web: { lb: [web], port: 8080 } }',
    `gossip: { node: lb-1, encrypt: "${KEY}" }`,
    'controller: { pause_state: drain, failed_grace: 1s, leave_grace: 1s, resync: 5s }',
    '',
  ].join('\n'));
  const balancer = lb.lbagent(['balancer', '-c', config]);
  const pools = async (): Promise<PoolServer[]> => {
    const { stdout } = await lb.run('curl', ['-sf', '-m', '2', 'http://127.0.0.1:9901/v1/backends/web']);
    return (JSON.parse(stdout) as { servers: PoolServer[] }).servers.filter((s) => !s.removing);
  };
  const poolText = async () => (await pools()).map((s) => `${s.name}@${s.addr}:${s.port}:${s.admin}:${s.status}`).sort().join(' ');
  await waitFor('the balancer answers on its admin API', async () => {
    if (balancer.exited()) throw new GiveUp(`the balancer exited:\n${balancer.out()}`);
    return pools();
  }, { timeoutMs: 60_000 });

  // Requests from the client host through the balancer's IP: who served each.
  const served = async (n: number): Promise<string[]> => {
    const { stdout } = await client.run('sh', ['-c', `for i in $(seq ${n}); do curl -s -m 2 http://${lb.ip}/ || echo fail; echo; done`]);
    return stdout.split('\n').filter(Boolean).map((l) => /^Hello from (\S+)/.exec(l)?.[1] ?? l);
  };

  // App hosts: the demo's app server on every address, and the agent as the README says.
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2'], [web3, 'web-3']] as const) h.lbagent(['demo', '--app', name, '--port', '8080']);
  const t0 = Date.now();
  const agents = new Map([[web1, 'web-1'], [web2, 'web-2']].map(([h, name]) => [name as string, (h as Host).lbagent(['join', lb.ip, '--role', 'web', '--node', name as string, '--encrypt', KEY])]));
  const firstServed = new Map<string, number>();
  await waitFor('requests from the client host reach web-1 and web-2 through the balancer', async () => {
    for (const [name, a] of agents) if (a.exited()) throw new GiveUp(`the agent of ${name} exited:\n${a.out()}`);
    for (const who of await served(4)) if (!firstServed.has(who)) firstServed.set(who, Date.now() - t0);
    return firstServed.has('web-1') && firstServed.has('web-2');
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.diagnostic(`join → first balanced request across hosts: web-1 ${firstServed.get('web-1')} ms, web-2 ${firstServed.get('web-2')} ms`);
  // The pools hold each app host's own advertised IP (never 127.0.0.1), and each agent advertises its host's IP.
  assert.equal(await poolText(), `web-1@${web1.ip}:8080:ready:UP web-2@${web2.ip}:8080:ready:UP`);
  assert.match((await cli(web1, 'members')).stdout, new RegExp(`lb-1\\s+${lb.ip}:7946\\s+alive`));
  assert.match((await cli(web1, 'members')).stdout, new RegExp(`web-2\\s+${web2.ip}:7946\\s+alive`));
  assert.match(balancer.out(), new RegExp(`Using private IP ${lb.ip.replace(/\./g, '\\.')} of interface eth0 as the advertise address`), 'said once in the log');

  // serf interop: a real serf agent (its defaults: bind 0.0.0.0:7946, RPC 127.0.0.1:7373) joins the balancer.
  const serf = web3.spawn('serf', ['agent', '-node=web-3', '-tag', 'role=web', `-encrypt=${KEY}`, `-join=${lb.ip}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let serfOut = '';
  serf.stdout!.on('data', (c) => (serfOut += c));
  serf.stderr!.on('data', (c) => (serfOut += c));
  t.after(() => {
    if (serf.exitCode !== null) t.diagnostic(`serf agent exited ${serf.exitCode}:\n${serfOut}`);
  });
  await waitFor('the serf host gets traffic too', async () => {
    if (serf.exitCode !== null) throw new GiveUp('serf agent exited');
    return (await served(6)).includes('web-3');
  }, { timeoutMs: 60_000, intervalMs: 200 });
  assert.match(await poolText(), new RegExp(`web-3@${web3.ip.replace(/\./g, '\\.')}:8080:ready:UP`));

  // Maintenance with the default RPC address: pause drains web-1, resume puts it back.
  assert.match((await cli(web1, 'event', 'pause')).stdout, new RegExp(`Payload: "web-1 ${web1.ip} web"`));
  await waitFor('web-1 drained', async () => (await pools()).find((s) => s.name === 'web-1')?.admin === 'drain', { timeoutMs: 30_000 });
  assert.ok(!(await served(6)).includes('web-1'), 'a drained server gets no new requests');
  await cli(web1, 'event', 'resume');
  await waitFor('web-1 back in rotation', async () => (await pools()).find((s) => s.name === 'web-1')?.admin === 'ready', { timeoutMs: 30_000 });
  await waitFor('web-1 serves again', async () => (await served(6)).includes('web-1'), { timeoutMs: 30_000 });

  // `lbagent leave` on web-2: the agent leaves and exits; the balancer removes web-2 after leave_grace.
  await cli(web2, 'leave');
  await waitFor('web-2 agent exited', () => agents.get('web-2')!.proc.exitCode === 0, { timeoutMs: 30_000 });
  await waitFor('web-2 out of the pool', async () => !(await pools()).some((s) => s.name === 'web-2'), { timeoutMs: 30_000 });
  assert.match((await web3.run('serf', ['members'])).stdout, /web-2\s+\S+\s+left/);

  // SIGKILL of web-1's agent (the process ip netns exec started is the agent itself): failed, then removed.
  agents.get('web-1')!.proc.kill('SIGKILL');
  await waitFor('web-1 seen failed', async () => /web-1\s+\S+\s+failed/.test((await web3.run('serf', ['members'])).stdout), { timeoutMs: 60_000 });
  await waitFor('web-1 out of the pool', async () => !(await pools()).some((s) => s.name === 'web-1'), { timeoutMs: 30_000 });
  assert.deepEqual([...new Set(await served(4))], ['web-3'], 'only the serf host is left serving');

  // Encryption: a node without the key does not get in (its join fails and it says so, exit 1).
  const intruder = await cli(web2, 'join', lb.ip, '--node', 'intruder', '--role', 'web').then(() => 'joined', (err: { code?: number; stderr?: string; stdout?: string }) => `exit ${err.code}: ${err.stdout}${err.stderr}`);
  assert.match(intruder, /^exit 1:.*Error joining the cluster/s);
  assert.ok(!(await pools()).some((s) => s.name === 'intruder'));
});
