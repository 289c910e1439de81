// Restarts on hosts of their own (network namespaces, default ports, no 127.0.0.1 between hosts), as issue 15's
// "Restarts" asks: a balancer with no join list, restarted with the same config (systemd restart: SIGTERM, a
// graceful leave), gets its pools back from its serf snapshot by itself, with the pause it had seen and the pause
// sent while it was down; and an app server's `lbagent agent --snapshot FILE --rejoin` comes back into the pool
// with no join address after a graceful stop and after a SIGKILL, as serf's -snapshot/-rejoin does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host, type LbagentProc } from '../helpers/netns.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { needNetns } from '../helpers/tools.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const exited = (p: LbagentProc) => (p.exited() ? Promise.resolve() : new Promise<void>((r) => p.proc.once('exit', () => r())));

test('multi-host restarts: a balancer rejoins its app servers with pauses kept; an agent with --snapshot --rejoin comes back', { timeout: 300_000 }, async (t) => {
  if (!needNetns(t)) return;
  const topo = buildHosts(t, ['lb', 'web1', 'web2', 'web3', 'client']);
  const [lb, web1, web2, web3, client] = topo.hosts as [Host, Host, Host, Host, Host];
  const dir = tempDir(t, 'lbagent-mh-restart-');
  const cli = (h: Host, ...args: string[]) => h.run(process.execPath, [lbagentBin, ...args]);

  // The balancer: no gossip.join (the app servers join it), snapshot on by default in its state directory.
  const config = join(dir, 'lbagent.yml');
  writeFileSync(config, [
    'frontends: { www: { bind: "*:80", default_backend: web } }',
    'backends: { web: { balance: roundrobin, check: { type: http, path: / } } }',
    'roles:',
    '  defaults: { check: { interval: 300ms, rise: 1, fall: 1 } }',
    '  roles: { web: { lb: [web], port: 8080 } }',
    'gossip: { node: lb-1 }',
    'controller: { pause_state: drain, failed_grace: 1s, leave_grace: 1s, resync: 5s }',
    '',
  ].join('\n'));
  const stateDir = join(dir, 'lb-state');
  const startBalancer = () => lb.lbagent(['balancer', '-c', config], { env: { STATE_DIRECTORY: stateDir } });
  let balancer = startBalancer();
  const pool = async () => {
    const { stdout } = await lb.run('curl', ['-sf', '-m', '2', 'http://127.0.0.1:9901/v1/backends/web']);
    const servers = (JSON.parse(stdout) as { servers: Array<{ name: string; addr: string; admin: string; removing?: boolean }> }).servers;
    return servers.filter((s) => !s.removing).map((s) => `${s.name}@${s.addr}:${s.admin}`).sort().join(' ');
  };
  const alive = (p: LbagentProc, what: string) => {
    if (p.exited()) throw new GiveUp(`${what} exited:\n${p.out()}`);
  };
  const served = async (n: number): Promise<Set<string>> => {
    const { stdout } = await client.run('sh', ['-c', `for i in $(seq ${n}); do curl -s -m 2 http://${lb.ip}/ || echo fail; echo; done`]);
    return new Set(stdout.split('\n').filter(Boolean).map((l) => /^Hello from (\S+)/.exec(l)?.[1] ?? l));
  };
  await waitFor('the balancer answers', async () => (alive(balancer, 'the balancer'), (await pool()) === ''), { timeoutMs: 60_000 });

  // App servers as the README has them; web-3 runs the agent with a snapshot of its own and rejoin_after_leave.
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2'], [web3, 'web-3']] as const) h.lbagent(['demo', '--app', name, '--port', '8080']);
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2']] as const) h.lbagent(['join', lb.ip, '--role', 'web', '--node', name]);
  const web3Snapshot = join(dir, 'web-3.snapshot');
  const web3Agent = (...extra: string[]) => web3.lbagent(['agent', '--node', 'web-3', '--role', 'web', '--snapshot', web3Snapshot, '--rejoin', ...extra]);
  let agent3 = web3Agent('--join', lb.ip);
  const full = `web-1@${web1.ip}:ready web-2@${web2.ip}:ready web-3@${web3.ip}:ready`;
  await waitFor('every app server in the pool', async () => (alive(agent3, 'web-3 agent'), (await pool()) === full), { timeoutMs: 60_000 });
  await waitFor('traffic from the client to every app host', async () => (await served(9)).size === 3, { timeoutMs: 30_000 });

  // A pause the balancer sees, then a graceful stop (systemd restart): it leaves, the app servers see it go.
  await cli(web1, 'event', 'pause');
  await waitFor('web-1 drained', async () => (await pool()).includes(`web-1@${web1.ip}:drain`), { timeoutMs: 30_000 });
  balancer.proc.kill('SIGTERM');
  await exited(balancer);
  assert.equal(balancer.proc.exitCode, 0, balancer.out());
  assert.match(readFileSync(join(stateDir, 'lb-1-7946.snapshot'), 'utf8'), new RegExp(`^alive: web-2 ${web2.ip.replace(/\./g, '\\.')}:7946$`, 'm'));
  await waitFor('web-2 saw the balancer leave', async () => /lb-1\s+\S+\s+left/.test((await cli(web2, 'members')).stdout), { timeoutMs: 30_000 });

  // A pause while it is down; then the same config again, and no one's help.
  await cli(web2, 'event', 'pause');
  const t0 = Date.now();
  balancer = startBalancer();
  const paused = `web-1@${web1.ip}:drain web-2@${web2.ip}:drain web-3@${web3.ip}:ready`;
  await waitFor('restarted balancer: pools back, both pauses honoured', async () => {
    alive(balancer, 'the restarted balancer');
    return (await pool().catch(() => '')) === paused;
  }, { timeoutMs: 60_000, intervalMs: 50 });
  t.diagnostic(`balancer restart to full pools across hosts: ${Date.now() - t0} ms`);
  assert.match(balancer.out(), /Re-joined to previously known node/);
  await waitFor('traffic only to web-3', async () => [...(await served(6))].join() === 'web-3', { timeoutMs: 30_000 });
  await cli(web1, 'event', 'resume');
  await cli(web2, 'event', 'resume');
  await waitFor('resumes after the restart count', async () => (await pool()) === full, { timeoutMs: 30_000 });

  // web-3's agent stopped gracefully (it leaves, the balancer removes it), then started with no join address:
  // --rejoin takes it back to the members its snapshot knew.
  agent3.proc.kill('SIGTERM');
  await exited(agent3);
  await waitFor('web-3 out of the pool after its leave', async () => !(await pool()).includes('web-3'), { timeoutMs: 30_000 });
  agent3 = web3Agent();
  await waitFor('web-3 back by its snapshot after a graceful stop', async () => (alive(agent3, 'web-3 agent'), (await pool()) === full), { timeoutMs: 60_000 });
  assert.match(agent3.out(), /Attempting re-join to previously known node/);

  // And after a SIGKILL (no leave): the balancer sees it fail and remove it, and it comes back the same way.
  agent3.proc.kill('SIGKILL');
  await exited(agent3);
  await waitFor('web-3 failed and removed', async () => !(await pool()).includes('web-3'), { timeoutMs: 60_000 });
  agent3 = web3Agent();
  await waitFor('web-3 back by its snapshot after SIGKILL', async () => (alive(agent3, 'web-3 agent'), (await pool()) === full), { timeoutMs: 60_000 });
  await waitFor('web-3 serves again', async () => (await served(6)).has('web-3'), { timeoutMs: 30_000 });
});
