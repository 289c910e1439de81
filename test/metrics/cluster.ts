// A small cluster as users run it, for the scrape tests: `lbagent balancer` (built-in proxy, roles, gossip) and
// `lbagent agent` on an app server, joined; both as processes of the CLI, each with its /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { startBackend } from '../proxy/fixtures.js';

export interface MetricsCluster {
  dir: string;
  /** the frontend's port */
  web: number;
  /** where each /metrics is: the balancer's admin API, the agent's RPC address */
  balancerMetrics: string;
  agentMetrics: string;
  /** `n` requests through the balancer: every third answered in 60 ms, the others at once; every fifth a 404 */
  traffic(n: number): Promise<void>;
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

export async function startMetricsCluster(t: TestContext): Promise<MetricsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-metrics-'));
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const app = await startBackend('app', (req, res) => {
    if (req.url === '/health') return res.end('ok');
    const i = n++;
    if (req.url === '/missing') {
      res.statusCode = 404;
      return res.end('no');
    }
    if (i % 3 === 0) setTimeout(() => res.end('slow'), 60);
    else res.end('fast');
  });
  t.after(() => app.close());
  const [web, admin, gossip, agentGossip, rpc] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${web}, default_backend: web } }`,
    'backends: { web: {} }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'roles: { roles: { web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 1 } } } }',
    `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, profile: local }`,
    '',
  ].join('\n'));
  const env = { ...process.env, LBAGENT_LOG_FORMAT: 'json', STATE_DIRECTORY: dir };
  procs.push(spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { stdio: 'ignore', env }));
  const balancerMetrics = `http://127.0.0.1:${admin}/metrics`;
  await waitFor('the balancer answers /metrics', async () => (await fetch(balancerMetrics)).ok, { timeoutMs: 60_000 });
  procs.push(
    spawn(process.execPath, [lbagentBin, 'agent', '--node', 'web-1', '--bind', `127.0.0.1:${agentGossip}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--role', 'web', '--tag', `port=${app.port}`, '--profile', 'local', '--retry-join', `127.0.0.1:${gossip}`], { stdio: 'ignore', env }),
  );
  const agentMetrics = `http://127.0.0.1:${rpc}/metrics`;
  await waitFor('the agent answers /metrics', async () => (await fetch(agentMetrics)).ok, { timeoutMs: 60_000 });
  await waitFor('web-1 is UP in the pool', async () => {
    const b = (await (await fetch(`http://127.0.0.1:${admin}/v1/backends/web`)).json()) as { servers: { name: string; status: string }[] };
    return b.servers.some((s) => s.name === 'web-1' && s.status === 'UP');
  }, { timeoutMs: 60_000 });
  return {
    dir,
    web,
    balancerMetrics,
    agentMetrics,
    async traffic(count: number) {
      for (let i = 0; i < count; i++) {
        const res = await fetch(`http://127.0.0.1:${web}${i % 5 === 4 ? '/missing' : '/'}`);
        await res.text();
      }
    },
  };
}
