// GET /metrics: counters are counters and levels gauges, with HAProxy's exporter's names under lbagent_; latency
// histograms in seconds per backend (per server on request, none with `histograms: false`); health-check
// durations; with global.workers the workers' counts and buckets summed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig, type MainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane, type DataPlaneHandle } from '../../src/proxy/data-plane.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { parseScrape, type Scrape } from '../helpers/prom-text.js';
import { rawRequest, startBackend } from './fixtures.js';

function config(text: string): MainConfig {
  const r = parseMainConfig('lbagent.yml', text);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  return (r as { value: MainConfig }).value;
}

async function scrape(lb: DataPlaneHandle): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${lb.admin.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
}

/**
 * A scrape with all `n` requests in it: an exchange is counted as it ends, which may be just after the client has
 * its response, so a scrape right after the last one can miss it.
 */
async function settled(lb: DataPlaneHandle, n: number, histograms = true): Promise<Scrape> {
  return waitFor(`${n} requests counted`, async () => {
    const m = await scrape(lb);
    const counted = m.find('lbagent_backend_http_responses_total', { proxy: 'app' }).reduce((a, x) => a + x.value, 0);
    return counted === n && (!histograms || m.value('lbagent_backend_total_time_seconds_count', { proxy: 'app' }) === n) ? m : undefined;
  });
}

async function setup(t: import('node:test').TestContext, extra: string) {
  const fast = await startBackend('fast');
  // 60 ms before the head: its response time lands above the 50 ms bucket, the fast one's at or below 25 ms
  const slow = await startBackend('slow', (req, res) => {
    if (req.url === '/health') return res.end('ok');
    setTimeout(() => res.end('slow'), 60);
  });
  t.after(() => Promise.all([fast.close(), slow.close()]));
  const web = await freePort();
  const lb = await startDataPlane(
    config(`
${extra}
admin: { bind: "127.0.0.1:0" }
frontends:
  web: { bind: "127.0.0.1:${web}", default_backend: app }
backends:
  app:
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: 10s }
    servers:
      - { name: fast, addr: "127.0.0.1:${fast.port}", check: true }
      - { name: slow, addr: "127.0.0.1:${slow.port}", check: true }
`),
    silentLogger,
  );
  t.after(() => lb.stop(0));
  return { lb, web };
}

/** `n` requests, on a new connection each (so every worker gets some), to the given server (by path). */
async function send(port: number, n: number): Promise<{ fast: number; slow: number }> {
  const by = { fast: 0, slow: 0 };
  for (let i = 0; i < n; i++) {
    const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    r.socket.destroy();
    assert.equal(r.status, 200);
    by[r.body.startsWith('slow') ? 'slow' : 'fast']++;
  }
  return by;
}

test('/metrics: types, HAProxy names, latency histograms per backend, check durations', async (t) => {
  const { lb, web } = await setup(t, '');
  await waitFor('both servers checked UP', async () => (await scrape(lb)).value('lbagent_backend_active_servers', { proxy: 'app' }) === 2);
  const by = await send(web, 20);
  const m = await settled(lb, 20);

  for (const [name, type] of Object.entries({
    lbagent_frontend_http_requests_total: 'counter',
    lbagent_frontend_sessions_total: 'counter',
    lbagent_frontend_current_sessions: 'gauge',
    lbagent_backend_http_responses_total: 'counter',
    lbagent_backend_current_queue: 'gauge',
    lbagent_server_status: 'gauge',
    lbagent_server_bytes_out_total: 'counter',
    lbagent_server_check_failures_total: 'counter',
    lbagent_backend_total_time_seconds: 'histogram',
    lbagent_backend_response_time_seconds: 'histogram',
    lbagent_backend_check_duration_seconds: 'histogram',
    process_cpu_seconds_total: 'counter',
    nodejs_eventloop_lag_seconds: 'gauge',
  })) assert.equal(m.types.get(name), type, `${name} is a ${type}`);
  for (const [name, type] of m.types) if (name.startsWith('lbagent_') && name.endsWith('_total')) assert.equal(type, 'counter', `${name}: every *_total is a counter`);

  assert.equal(m.value('lbagent_frontend_http_requests_total', { proxy: 'web' }), 20);
  assert.equal(m.value('lbagent_backend_http_requests_total', { proxy: 'app' }), 20);
  assert.equal(m.value('lbagent_backend_http_responses_total', { proxy: 'app', code: '2xx' }), 20);
  assert.equal(m.value('lbagent_server_status', { proxy: 'app', server: 'fast', state: 'UP' }), 1);
  assert.equal(m.value('lbagent_server_status', { proxy: 'app', server: 'fast', state: 'DOWN' }), 0);
  assert.equal(m.value('lbagent_backend_agg_server_status', { proxy: 'app', state: 'UP' }), 2);

  // Histograms: every request once, in seconds; the slow server's responses above 50 ms, the fast one's below.
  assert.equal(m.value('lbagent_backend_total_time_seconds_count', { proxy: 'app' }), 20);
  assert.equal(m.value('lbagent_backend_response_time_seconds_count', { proxy: 'app' }), 20);
  assert.equal(m.value('lbagent_backend_response_time_seconds_bucket', { proxy: 'app', le: '+Inf' }), 20);
  // (the fast server's answers are usually within 50 ms too, but a stalled machine may make one slower)
  assert.ok(m.value('lbagent_backend_response_time_seconds_bucket', { proxy: 'app', le: '0.05' })! <= by.fast, 'the slow server never answers within 50 ms');
  const sum = m.value('lbagent_backend_response_time_seconds_sum', { proxy: 'app' })!;
  assert.ok(sum >= by.slow * 0.06 && sum < by.slow * 60, `sum in seconds, not ms: ${sum}`);
  assert.equal(m.find('lbagent_backend_total_time_seconds_count', { server: 'fast' }).length, 0, 'no per-server series unless asked');
  assert.ok(m.value('lbagent_backend_check_duration_seconds_count', { proxy: 'app' })! >= 2, 'health checks timed');
  assert.ok(m.value('lbagent_server_check_duration_seconds', { proxy: 'app', server: 'fast' })! >= 0);

  // Buckets are cumulative.
  const buckets = m.find('lbagent_backend_total_time_seconds_bucket', { proxy: 'app' });
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
});

test('/metrics: server_histograms adds per-server series; histograms: false has none', async (t) => {
  const per = await setup(t, 'metrics: { server_histograms: true }');
  await waitFor('UP', async () => (await scrape(per.lb)).value('lbagent_backend_active_servers', { proxy: 'app' }) === 2);
  const by = await send(per.web, 10);
  const m = await settled(per.lb, 10);
  assert.equal(m.value('lbagent_backend_total_time_seconds_count', { proxy: 'app', server: 'fast' }), by.fast);
  assert.equal(m.value('lbagent_backend_total_time_seconds_count', { proxy: 'app', server: 'slow' }), by.slow);
  assert.equal(m.find('lbagent_backend_total_time_seconds_count', { proxy: 'app' }).length, 3, 'the backend and its two servers');

  const off = await setup(t, 'metrics: { histograms: false }');
  await send(off.web, 3);
  const o = await settled(off.lb, 3, false);
  assert.equal(o.find('lbagent_backend_total_time_seconds_count').length, 0);
  assert.equal(o.value('lbagent_backend_http_requests_total', { proxy: 'app' }), 3, 'the counters are still there');
});

test('/metrics with global.workers: 2: the workers counts and buckets summed', async (t) => {
  const { lb, web } = await setup(t, 'global: { workers: 2 }');
  await waitFor('UP', async () => (await scrape(lb)).value('lbagent_backend_active_servers', { proxy: 'app' }) === 2);
  // New connections until both workers carried some (the kernel spreads them, not evenly).
  const by = { fast: 0, slow: 0 };
  await waitFor('both workers served requests', async () => {
    const b = await send(web, 10);
    by.fast += b.fast;
    by.slow += b.slow;
    const stats = (await (await fetch(`http://127.0.0.1:${lb.admin.port}/v1/stats`)).json()) as { workers: { requests: number }[] };
    return stats.workers.length === 2 && stats.workers.every((w) => w.requests > 0);
  }, { timeoutMs: 60_000, progress: () => by.fast + by.slow });
  const sent = by.fast + by.slow;
  const m = await settled(lb, sent);
  assert.equal(m.value('lbagent_frontend_http_requests_total', { proxy: 'web' }), sent);
  assert.equal(m.value('lbagent_backend_total_time_seconds_count', { proxy: 'app' }), sent);
  assert.ok(m.value('lbagent_backend_response_time_seconds_bucket', { proxy: 'app', le: '0.05' })! <= by.fast, 'the slow answers counted above 50 ms');
  assert.equal(m.value('lbagent_backend_response_time_seconds_bucket', { proxy: 'app', le: '+Inf' }), sent);
  assert.ok(m.value('lbagent_backend_response_time_seconds_sum', { proxy: 'app' })! >= by.slow * 0.06);
});
