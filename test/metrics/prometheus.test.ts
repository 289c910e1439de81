// A real Prometheus (Debian's) scrapes a balancer and an app server's agent every second; its HTTP API then
// answers a request rate and a latency quantile from the traffic this test sent, and the agent's members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { needTool } from '../helpers/tools.js';
import { startMetricsCluster } from './cluster.js';
import { dashboardExpressions } from './dashboard.js';

type Vector = { metric: Record<string, string>; value: [number, string] }[];

test('Prometheus scrapes a balancer and an agent: rate of requests, 90th percentile, members', { timeout: 240_000 }, async (t) => {
  const bin = needTool(t, 'prometheus');
  if (!bin) return;
  const c = await startMetricsCluster(t);
  const port = await freePort();
  const data = join(c.dir, 'prometheus');
  mkdirSync(data);
  const target = (url: string) => new URL(url).host;
  const config = join(c.dir, 'prometheus.yml');
  writeFileSync(config, [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    `  - { job_name: balancer, static_configs: [{ targets: ["${target(c.balancerMetrics)}"] }] }`,
    `  - { job_name: agent, static_configs: [{ targets: ["${target(c.agentMetrics)}"] }] }`,
    '',
  ].join('\n'));
  let log = '';
  const prom: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  prom.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  t.after(() => {
    prom.kill('SIGKILL');
  });
  const api = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus ready', async () => (await fetch(`${api}/-/ready`)).ok, { timeoutMs: 60_000 });
  const query = async (q: string): Promise<Vector> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data?: { result: Vector }; error?: string };
    assert.equal(body.status, 'success', `${q}: ${body.error ?? ''}`);
    return body.data!.result;
  };
  const one = async (q: string) => {
    const r = await query(q);
    return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
  };
  await waitFor('both targets up', async () => (await one('sum(up)')) === 2, { timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}; prometheus said: ${log}`);
  });

  // Traffic while Prometheus scrapes: until the rate and the quantile show it (each needs two scrapes in its window).
  let sent = 0;
  let rate: number | undefined;
  let p90: number | undefined;
  await waitFor(
    'a request rate and a 90th percentile from the traffic',
    async () => {
      await c.traffic(15);
      sent += 15;
      rate = await one('sum(rate(lbagent_backend_http_requests_total{job="balancer",proxy="web"}[15s]))');
      p90 = await one('histogram_quantile(0.9, sum by (le) (rate(lbagent_backend_response_time_seconds_bucket{job="balancer",proxy="web"}[15s])))');
      return rate !== undefined && rate > 0 && p90 !== undefined && !Number.isNaN(p90);
    },
    { timeoutMs: 90_000, progress: () => sent },
  );
  // A third of the answers take 60 ms: the 90th percentile is above the 50 ms bucket's bound.
  assert.ok(p90! >= 0.05 && p90! < 30, `p90 ${p90} s`);
  // Every request is counted: a scrape after the traffic stops has them all, and by class (a response is counted
  // as its exchange ends, which may be just after the client has it: poll until a scrape has both).
  const classes = async () => Object.fromEntries((await query('sum by (code) (lbagent_backend_http_responses_total{job="balancer",proxy="web"})')).map((r) => [r.metric.code, Number(r.value[1])]));
  await waitFor('the totals equal what was sent', async () => {
    const c = await classes();
    return (await one('lbagent_backend_http_requests_total{job="balancer",proxy="web"}')) === sent && c['4xx'] === sent / 5 && c['2xx'] === sent - sent / 5;
  }, { timeoutMs: 30_000 });

  // The agent's own gossip view, and the balancer's server and controller.
  await waitFor('the agent sees two alive members', async () => (await one('lbagent_gossip_members{job="agent",status="alive"}')) === 2, { timeoutMs: 30_000 });
  assert.equal(await one('lbagent_server_status{job="balancer",proxy="web",server="web-1",state="UP"}'), 1);
  assert.ok((await one('sum(lbagent_controller_applies_total{job="balancer",result="ok"})'))! >= 1);
  assert.ok((await one('process_resident_memory_bytes{job="agent"}'))! > 0, "the agent's process metrics");

  // Every expression of the example Grafana dashboard runs and has series (with its variables set to all).
  const panels = dashboardExpressions().filter((e) => !e.startsWith('label_values('));
  const promql = (e: string) => e.replaceAll('$__rate_interval', '15s').replaceAll('$__range', '5m').replaceAll('$backend', '.*').replaceAll('$balancer_job', '.*');
  for (const e of panels) await waitFor(`dashboard expression has series: ${e}`, async () => (await query(promql(e))).length > 0, { timeoutMs: 30_000 });
});
