// Prometheus metrics, computed from the stats at scrape time (names after HAProxy's exporter).
import { Gauge, Registry } from 'prom-client';
import type { BuiltinProxy } from '../builtin-proxy.js';
import { collectStats } from './stats.js';

export function createMetrics(proxy: BuiltinProxy): Registry {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const fe = {
    cur: g('lbagent_frontend_current_sessions', 'Current sessions', ['proxy']),
    tot: g('lbagent_frontend_sessions_total', 'Total sessions', ['proxy']),
    req: g('lbagent_frontend_http_requests_total', 'HTTP requests', ['proxy']),
    bin: g('lbagent_frontend_bytes_in_total', 'Bytes in', ['proxy']),
    bout: g('lbagent_frontend_bytes_out_total', 'Bytes out', ['proxy']),
    err: g('lbagent_frontend_request_errors_total', 'Request errors', ['proxy']),
    hrsp: g('lbagent_frontend_http_responses_total', 'HTTP responses by class', ['proxy', 'code']),
  };
  const be = {
    up: g('lbagent_backend_status', 'Backend status (1 UP)', ['proxy']),
    cur: g('lbagent_backend_current_sessions', 'Current sessions', ['proxy']),
    queue: g('lbagent_backend_current_queue', 'Requests in queue', ['proxy']),
    tot: g('lbagent_backend_sessions_total', 'Total sessions', ['proxy']),
    hrsp: g('lbagent_backend_http_responses_total', 'HTTP responses by class', ['proxy', 'code']),
  };
  const sv = {
    up: g('lbagent_server_status', 'Server status (1 UP or no check, 0 otherwise)', ['proxy', 'server', 'state']),
    weight: g('lbagent_server_weight', 'Server weight', ['proxy', 'server']),
    cur: g('lbagent_server_current_sessions', 'Current sessions', ['proxy', 'server']),
    tot: g('lbagent_server_sessions_total', 'Total sessions', ['proxy', 'server']),
    bin: g('lbagent_server_bytes_in_total', 'Bytes in', ['proxy', 'server']),
    bout: g('lbagent_server_bytes_out_total', 'Bytes out', ['proxy', 'server']),
    econ: g('lbagent_server_connection_errors_total', 'Connection errors', ['proxy', 'server']),
    down: g('lbagent_server_downtime_seconds_total', 'Total downtime', ['proxy', 'server']),
    hrsp: g('lbagent_server_http_responses_total', 'HTTP responses by class', ['proxy', 'server', 'code']),
  };
  const all = [...Object.values(fe), ...Object.values(be), ...Object.values(sv)];
  // Refresh every gauge from one stats snapshot whenever Prometheus scrapes.
  const refresh = () => {
    for (const m of all) m.reset();
    const s = collectStats(proxy);
    for (const f of s.frontends) {
      const l = { proxy: f.name };
      fe.cur.set(l, f.scur);
      fe.tot.set(l, f.stot);
      fe.req.set(l, f.reqTotal);
      fe.bin.set(l, f.bin);
      fe.bout.set(l, f.bout);
      fe.err.set(l, f.ereq);
      for (const [code, n] of Object.entries(f.hrsp)) fe.hrsp.set({ proxy: f.name, code }, n);
    }
    for (const b of s.backends) {
      const l = { proxy: b.name };
      be.up.set(l, b.status === 'UP' ? 1 : 0);
      be.cur.set(l, b.scur);
      be.queue.set(l, b.qcur);
      be.tot.set(l, b.stot);
      for (const [code, n] of Object.entries(b.hrsp)) be.hrsp.set({ proxy: b.name, code }, n);
      for (const x of b.servers) {
        const sl = { proxy: b.name, server: x.name };
        sv.up.set({ ...sl, state: x.status }, x.status === 'UP' || x.status === 'no check' ? 1 : 0);
        sv.weight.set(sl, x.weight);
        sv.cur.set(sl, x.scur);
        sv.tot.set(sl, x.stot);
        sv.bin.set(sl, x.bin);
        sv.bout.set(sl, x.bout);
        sv.econ.set(sl, x.econ);
        sv.down.set(sl, x.downtimeMs / 1000);
        for (const [code, n] of Object.entries(x.hrsp)) sv.hrsp.set({ ...sl, code }, n);
      }
    }
  };
  const metrics = registry.metrics.bind(registry);
  registry.metrics = async () => {
    refresh();
    return metrics();
  };
  return registry;
}
