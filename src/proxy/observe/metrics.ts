// The proxy's Prometheus families, read from its stats at scrape time. Names are HAProxy's exporter's with
// `lbagent_` for `haproxy_` (same labels: proxy, server, code, state), so its dashboards port by the prefix, and
// the two never collide where both are scraped (`proxy: haproxy`). Counters are counters, levels are gauges;
// latency is a histogram in seconds (HAProxy only has averages), per backend, per server with
// `metrics.server_histograms`. README "Metrics" has the table.
import type { BucketSeries, MetricsHub } from '../../metrics/index.js';
import { LATENCY_BOUNDS_MS } from '../../metrics/index.js';
import type { BuiltinProxy } from '../builtin-proxy.js';
import type { Timings } from './timings.js';
import { collectStats } from './stats.js';

/** HAProxy's server states in its exporter; `no check` is UP there. */
const STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
const stateOf = (status: string) => (status === 'no check' ? 'UP' : status);

const P = ['proxy'] as const;
const PS = ['proxy', 'server'] as const;

export function registerProxyMetrics(hub: MetricsHub, proxy: BuiltinProxy): void {
  const g = <L extends string>(n: string, help: string, l: readonly L[]) => hub.gauge(`lbagent_${n}`, help, l);
  const c = <L extends string>(n: string, help: string, l: readonly L[]) => hub.counter(`lbagent_${n}`, help, l);
  const fe = {
    status: g('frontend_status', 'Current status of the frontend, per state label value', [...P, 'state']),
    cur: g('frontend_current_sessions', 'Current number of active sessions', P),
    max: g('frontend_max_sessions', 'Maximum observed number of active sessions', P),
    lim: g('frontend_limit_sessions', 'Configured session limit (maxconn)', P),
    tot: c('frontend_sessions_total', 'Total number of sessions', P),
    req: c('frontend_http_requests_total', 'Total number of HTTP requests received', P),
    bin: c('frontend_bytes_in_total', 'Current total of incoming bytes', P),
    bout: c('frontend_bytes_out_total', 'Current total of outgoing bytes', P),
    denied: c('frontend_requests_denied_total', 'Total number of denied requests', P),
    err: c('frontend_request_errors_total', 'Total number of request errors', P),
    hrsp: c('frontend_http_responses_total', 'Total number of HTTP responses by class', [...P, 'code']),
  };
  const be = {
    status: g('backend_status', 'Current status of the backend, per state label value', [...P, 'state']),
    byState: g('backend_agg_server_status', "Backend's servers by state", [...P, 'state']),
    active: g('backend_active_servers', 'Current number of active servers usable', P),
    backup: g('backend_backup_servers', 'Current number of backup servers usable', P),
    cur: g('backend_current_sessions', 'Current number of active sessions', P),
    queue: g('backend_current_queue', 'Current number of queued requests', P),
    maxQueue: g('backend_max_queue', 'Maximum observed number of queued requests', P),
    tot: c('backend_sessions_total', 'Total number of sessions (requests, in HTTP mode)', P),
    req: c('backend_http_requests_total', 'Total number of HTTP requests', P),
    bin: c('backend_bytes_in_total', 'Current total of incoming bytes', P),
    bout: c('backend_bytes_out_total', 'Current total of outgoing bytes', P),
    econ: c('backend_connection_errors_total', 'Total number of connection errors', P),
    eresp: c('backend_response_errors_total', 'Total number of response errors', P),
    hrsp: c('backend_http_responses_total', 'Total number of HTTP responses by class', [...P, 'code']),
  };
  const sv = {
    status: g('server_status', 'Current status of the server, per state label value', [...PS, 'state']),
    weight: g('server_weight', 'Server weight', PS),
    cur: g('server_current_sessions', 'Current number of active sessions', PS),
    max: g('server_max_sessions', 'Maximum observed number of active sessions', PS),
    tot: c('server_sessions_total', 'Total number of sessions', PS),
    bin: c('server_bytes_in_total', 'Current total of incoming bytes', PS),
    bout: c('server_bytes_out_total', 'Current total of outgoing bytes', PS),
    econ: c('server_connection_errors_total', 'Total number of connection errors', PS),
    eresp: c('server_response_errors_total', 'Total number of response errors', PS),
    down: c('server_downtime_seconds_total', 'Total downtime (in seconds)', PS),
    chkfail: c('server_check_failures_total', 'Total number of failed health checks', PS),
    chkdur: g('server_check_duration_seconds', 'Previously run health check duration, in seconds', PS),
    hrsp: c('server_http_responses_total', 'Total number of HTTP responses by class', [...PS, 'code']),
  };

  const backends = () => [...proxy.backendMap.values()];
  const timed = (pick: (t: Timings) => BucketSeries<'proxy' | 'server'>['buckets']) =>
    function* (): Iterable<BucketSeries<'proxy' | 'server'>> {
      for (const b of backends()) {
        if (b.def.histograms === 'off') continue;
        yield { labels: { proxy: b.name }, buckets: pick(b.timings) };
        if (b.def.histograms !== 'server') continue;
        for (const s of b.servers.values()) yield { labels: { proxy: b.name, server: s.name }, buckets: pick(s.timings) };
      }
    };
  const H = ['proxy', 'server'] as const;
  hub.histogram('lbagent_backend_queue_time_seconds', 'Time requests waited in the queue (Tw), per backend (and server)', H, LATENCY_BOUNDS_MS, timed((t) => t.queue));
  hub.histogram('lbagent_backend_connect_time_seconds', 'Time to connect to the server (Tc; 0 on a kept-alive connection)', H, LATENCY_BOUNDS_MS, timed((t) => t.connect));
  hub.histogram('lbagent_backend_response_time_seconds', 'Time from the request sent to the response head received (Tr)', H, LATENCY_BOUNDS_MS, timed((t) => t.response));
  hub.histogram('lbagent_backend_total_time_seconds', 'Total time of a request, from its first byte to the end of its response (Tt); of a TCP session', H, LATENCY_BOUNDS_MS, timed((t) => t.total));
  hub.histogram('lbagent_backend_check_duration_seconds', "Duration of its servers' health checks", P, LATENCY_BOUNDS_MS, function* () {
    for (const b of backends()) if (b.def.check || [...b.servers.values()].some((s) => s.checked)) yield { labels: { proxy: b.name }, buckets: b.checkTimes };
  });

  hub.onScrape(async () => {
    await proxy.freshen();
    const s = collectStats(proxy);
    for (const f of s.frontends) {
      const l = { proxy: f.name };
      const rt = proxy.frontends.get(f.name);
      fe.status.set({ ...l, state: 'UP' }, 1);
      fe.status.set({ ...l, state: 'DOWN' }, 0);
      fe.cur.set(l, f.scur);
      fe.max.set(l, f.smax);
      fe.lim.set(l, f.slim);
      fe.tot.set(l, f.stot);
      fe.req.set(l, f.reqTotal);
      fe.bin.set(l, f.bin);
      fe.bout.set(l, f.bout);
      fe.denied.set(l, rt?.stats.deniedReq ?? 0);
      fe.err.set(l, f.ereq);
      for (const [code, n] of Object.entries(f.hrsp)) fe.hrsp.set({ ...l, code }, n);
    }
    for (const b of s.backends) {
      const l = { proxy: b.name };
      for (const st of ['DOWN', 'UP'] as const) be.status.set({ ...l, state: st }, b.status === st ? 1 : 0);
      const byState = new Map<string, number>(STATES.map((x) => [x, 0]));
      let active = 0;
      let backup = 0;
      const live = b.servers.filter((x) => !x.removing);
      for (const x of live) {
        const st = stateOf(x.status);
        byState.set(st, (byState.get(st) ?? 0) + 1);
        if (st !== 'UP' || x.monitor) continue;
        if (x.backup) backup++;
        else active++;
      }
      for (const [state, n] of byState) be.byState.set({ ...l, state }, n);
      be.active.set(l, active);
      be.backup.set(l, backup);
      be.cur.set(l, b.scur);
      be.queue.set(l, b.qcur);
      be.maxQueue.set(l, b.qmax);
      be.tot.set(l, b.stot);
      if (b.mode === 'http') be.req.set(l, b.reqTotal);
      be.bin.set(l, b.bin);
      be.bout.set(l, b.bout);
      be.econ.set(l, b.econ);
      be.eresp.set(l, b.eresp);
      for (const [code, n] of Object.entries(b.hrsp)) be.hrsp.set({ ...l, code }, n);
      const rt = proxy.backendMap.get(b.name);
      for (const x of b.servers) {
        const sl = { proxy: b.name, server: x.name };
        if (!x.removing) for (const st of STATES) sv.status.set({ ...sl, state: st }, stateOf(x.status) === st ? 1 : 0);
        sv.weight.set(sl, x.weight);
        sv.cur.set(sl, x.scur);
        sv.max.set(sl, x.smax);
        sv.tot.set(sl, x.stot);
        sv.bin.set(sl, x.bin);
        sv.bout.set(sl, x.bout);
        sv.econ.set(sl, x.econ);
        sv.eresp.set(sl, x.eresp);
        sv.down.set(sl, x.downtimeMs / 1000);
        const srt = rt?.servers.get(x.name);
        if (srt?.checked) {
          sv.chkfail.set(sl, srt.checksFailed);
          if (x.check.durationMs !== undefined) sv.chkdur.set(sl, x.check.durationMs / 1000);
        }
        for (const [code, n] of Object.entries(x.hrsp)) sv.hrsp.set({ ...sl, code }, n);
      }
    }
  });
}
