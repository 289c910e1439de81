// examples/grafana/lbagent.json: every metric name its expressions use is in a scrape of a balancer or of an
// agent (as users run them: the CLI's processes, joined, with traffic); none is a typo or a name we dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScrape } from '../helpers/prom-text.js';
import { dashboardExpressions, metricNames } from './dashboard.js';
import { startMetricsCluster } from './cluster.js';

test('metricNames reads PromQL as Prometheus does', () => {
  assert.deepEqual(metricNames('histogram_quantile(0.9, sum by (le, proxy) (rate(a_bucket{proxy=~"$b",x="y{z}"}[$__rate_interval])))'), ['a_bucket']);
  assert.deepEqual(metricNames('sum(x) > 0 and on (job) up{job="a"}'), ['x', 'up']);
  assert.deepEqual(metricNames('label_values(lbagent_backend_http_requests_total, proxy)'), ['lbagent_backend_http_requests_total']);
});

test('the Grafana dashboard uses only metrics a balancer or an agent exposes', { timeout: 180_000 }, async (t) => {
  const exprs = dashboardExpressions();
  const used = new Set(exprs.flatMap(metricNames));
  assert.ok(used.size >= 15, `the dashboard's metrics: ${[...used].join(', ')}`);
  const c = await startMetricsCluster(t);
  await c.traffic(10);
  const exposed = new Set<string>();
  for (const url of [c.balancerMetrics, c.agentMetrics]) {
    const s = parseScrape(await (await fetch(url)).text());
    for (const x of s.samples) exposed.add(x.name);
  }
  const missing = [...used].filter((n) => !exposed.has(n));
  assert.deepEqual(missing, [], 'metric names in examples/grafana/lbagent.json that no scrape has');
});
