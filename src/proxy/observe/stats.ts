// Stats in one JSON shape for the admin API and /metrics: per frontend, backend and server.
import type { BuiltinProxy } from '../builtin-proxy.js';
import type { StatusCounts } from './counters.js';

export interface ServerStats {
  name: string;
  status: string;
  weight: number;
  /** current effective weight: `weight`, or less while slow start ramps it (HAProxy's eweight) */
  eweight: number;
  addr: string;
  backup: boolean;
  monitor: boolean;
  scur: number;
  smax: number;
  stot: number;
  qcur: number;
  bin: number;
  bout: number;
  econ: number;
  eresp: number;
  /** HTTP requests sent to this server */
  reqTotal: number;
  /** sessions per second over the last second, and the highest seen */
  rate: number;
  rateMax: number;
  check: { status: string; lastResult?: string; durationMs?: number };
  lastChange: number;
  downtimeMs: number;
  removing: boolean;
  hrsp: StatusCounts;
}

export function collectStats(proxy: BuiltinProxy) {
  const now = Date.now();
  return {
    uptimeMs: now - proxy.startedAt,
    connections: proxy.connections,
    /** with global.workers > 1: each worker's pid, open connections, sessions and requests */
    ...(proxy.workerShares ? { workers: proxy.workerShares } : {}),
    frontends: [...proxy.frontends.values()].map((f) => ({
      name: f.name,
      status: 'OPEN',
      mode: f.def.mode,
      bind: f.addresses().map((a) => `${a.host}:${a.port}`),
      scur: f.stats.current,
      smax: f.stats.max,
      slim: f.def.maxconn,
      stot: f.stats.total,
      reqTotal: f.stats.requests,
      rate: f.stats.sessionRate.rate(now),
      rateMax: f.stats.sessionRate.max,
      reqRate: f.stats.requestRate.rate(now),
      reqRateMax: f.stats.requestRate.max,
      bin: f.stats.bytesIn,
      bout: f.stats.bytesOut,
      ereq: f.stats.errors,
      hrsp: f.stats.statuses,
    })),
    backends: [...proxy.backendMap.values()].map((b) => {
      const servers: ServerStats[] = [...b.servers.values(), ...b.removing].map((s) => ({
        name: s.name,
        status: s.status,
        weight: s.weight,
        eweight: Math.round(s.eweight * 100) / 100,
        addr: `${s.addr}:${s.port}`,
        backup: s.backup,
        monitor: s.monitorOnly,
        scur: s.active,
        smax: s.maxActive,
        stot: s.total,
        qcur: 0,
        bin: s.bytesIn,
        bout: s.bytesOut,
        econ: s.failedConns,
        eresp: s.failedResp,
        reqTotal: s.requests,
        rate: s.sessionRate.rate(now),
        rateMax: s.sessionRate.max,
        check: s.check,
        lastChange: s.lastChange,
        downtimeMs: s.currentDowntime(),
        removing: s.removing,
        hrsp: s.statuses,
      }));
      const up = [...b.servers.values()].some((s) => s.usable);
      return {
        name: b.name,
        mode: b.def.mode,
        balance: b.def.balance,
        status: up ? 'UP' : 'DOWN',
        scur: b.active,
        stot: b.total,
        reqTotal: b.requests,
        qcur: b.queued,
        qmax: b.maxQueue,
        rate: b.sessionRate.rate(now),
        rateMax: b.sessionRate.max,
        bin: b.bytesIn,
        bout: b.bytesOut,
        econ: servers.reduce((n, s) => n + s.econ, 0),
        eresp: servers.reduce((n, s) => n + s.eresp, 0),
        lastChange: b.lastChange,
        hrsp: b.statuses,
        servers,
      };
    }),
  };
}
