// Fail static across hosts (issue 18): a partition that cuts the balancer's gossip (UDP and TCP on the gossip port)
// but not its traffic makes every app server look failed to it. They still pass their health checks, so the
// balancer keeps them in rotation and says why, and no request fails; an app server that really stops (its health
// checks fail) still leaves the rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host } from '../helpers/netns.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { needNetns, needTool } from '../helpers/tools.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const CLIENT = join(repoRoot, 'test', 'helpers', 'steady-client.mjs');

test('fail static: gossip cut from the balancer, the servers passing their checks keep serving; a dead one goes', { timeout: 240_000 }, async (t) => {
  if (!needNetns(t) || !needTool(t, 'iptables')) return;
  const topo = buildHosts(t, ['lb', 'web1', 'web2', 'web3', 'client']);
  const [lb, web1, web2, web3, client] = topo.hosts as [Host, Host, Host, Host, Host];
  const dir = tempDir(t, 'lbagent-failstatic-');
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    'frontends: { www: { bind: "*:80", default_backend: web } }',
    'backends: { web: { balance: roundrobin, retries: 2, redispatch: true, check: { type: http, path: / } } }',
    'roles:',
    '  defaults: { check: { interval: 300ms, rise: 1, fall: 2 } }',
    '  roles: { web: { lb: [web], port: 8080 } }',
    'gossip: { node: lb-1, snapshot: false }',
    // failed_grace longer than gossip takes to mark a cut-off pool failed (a few seconds): the default 30 s is
    'controller: { failed_grace: 8s, leave_grace: 1s, resync: 2s }',
    '',
  ].join('\n'));
  const balancer = lb.lbagent(['balancer', '-c', file]);
  const pool = async () => {
    const { stdout } = await lb.run('curl', ['-sf', '-m', '2', 'http://127.0.0.1:9901/v1/backends/web']);
    return (JSON.parse(stdout) as { servers: Array<{ name: string; admin: string; status: string; removing?: boolean }> }).servers
      .filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}:${s.status}`).sort().join(' ');
  };
  await waitFor('the balancer answers', async () => {
    if (balancer.exited()) throw new GiveUp(balancer.out());
    return (await pool().catch(() => undefined)) === '';
  }, { timeoutMs: 60_000 });
  const apps = new Map<Host, ReturnType<Host['lbagent']>>();
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2'], [web3, 'web-3']] as const) {
    apps.set(h, h.lbagent(['demo', '--app', name, '--port', '8080']));
    h.lbagent(['join', lb.ip, '--role', 'web', '--node', name]);
  }
  await waitFor('all three UP', async () => (await pool()) === 'web-1:ready:UP web-2:ready:UP web-3:ready:UP', { timeoutMs: 60_000 });

  // a steady stream through the balancer, then the gossip port cut on the balancer host, both ways
  const stream = client.spawn(process.execPath, [CLIENT, `http://${lb.ip}/`, '20', '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  stream.stdout!.on('data', (c) => (report += c));
  for (const chain of ['INPUT', 'OUTPUT']) for (const proto of ['udp', 'tcp']) await lb.run('iptables', ['-A', chain, '-p', proto, '--dport', '7946', '-j', 'DROP']);
  for (const proto of ['udp', 'tcp']) await lb.run('iptables', ['-A', 'INPUT', '-p', proto, '--sport', '7946', '-j', 'DROP']);
  // (the balancer has no agent RPC of its own: its log says what gossip and the controller did)
  const out = () => balancer.out().split('\n').filter((l) => !l.includes('"access":true')).join('\n');
  await waitFor('gossip marks all three failed, and fail static keeps them', () => ['web-1', 'web-2', 'web-3'].every((n) => out().includes(`serf: EventMemberFailed: ${n}`)) && /web: fail static: [23] of 3 members failed in gossip at once/.test(out()), { timeoutMs: 90_000, intervalMs: 200 })
    .catch((err: Error) => {
      throw new Error(`${err.message}\n${out().split('\n').slice(-40).join('\n')}`);
    });
  // past failed_grace (8 s) they are still there, serving
  const failStaticAt = Date.now();
  await waitFor('failed_grace long past, still in rotation', async () => Date.now() - failStaticAt > 9000 && (await pool()) === 'web-1:ready:UP web-2:ready:UP web-3:ready:UP', { timeoutMs: 30_000, intervalMs: 500 });

  stream.kill('SIGTERM');
  await waitFor('the client report', () => report.includes('\n'), { timeoutMs: 15_000 });
  const r = JSON.parse(report) as { ok: number; failed: number; failures: unknown[] };
  t.diagnostic(`through the gossip partition (fail static): ${r.ok} requests ok, ${r.failed} failed`);
  assert.equal(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));

  // web-3's app stops: its health checks fail and it leaves the rotation, fail static or not
  apps.get(web3)!.proc.kill('SIGKILL');
  await waitFor('web-3 out of rotation', async () => !(await pool()).includes('web-3:ready:UP'), { timeoutMs: 30_000 });
  const served = async () => {
    const { stdout } = await client.run('sh', ['-c', `for i in 1 2 3 4 5 6; do curl -s -m 2 http://${lb.ip}/; echo; done`]);
    return new Set(stdout.split('\n').filter(Boolean).map((l) => /^Hello from (\S+)/.exec(l)?.[1] ?? l));
  };
  await waitFor('web-1 and web-2 serve', async () => [...(await served())].sort().join() === 'web-1,web-2', { timeoutMs: 30_000 });
});
