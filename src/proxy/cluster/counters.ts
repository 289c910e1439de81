// Traffic counters of a proxy worker, and their sum in the control process: the one view of stats that the
// admin API, the stats page and /metrics read when the proxy runs several workers.
// Sums are exact for totals and current values; *_max values are the sum of each worker's maximum (an upper
// bound: the workers' peaks need not coincide).
import type { BuiltinProxy } from '../builtin-proxy.js';
import { StatusCounts } from '../observe/counters.js';
import type { RateCounter } from '../observe/rate.js';
import { Timings } from '../observe/timings.js';
import type { Rate, ServerCounters, Statuses, WorkerCounters } from './messages.js';

const rateOf = (r: RateCounter, now: number): Rate => [r.rate(now), r.max];
const statusesOf = (s: StatusCounts): Statuses => ({ '1xx': s['1xx'], '2xx': s['2xx'], '3xx': s['3xx'], '4xx': s['4xx'], '5xx': s['5xx'], other: s.other });

/** A worker's counters, to send to the control process. */
export function countersOf(proxy: BuiltinProxy, now = Date.now()): WorkerCounters {
  const frontends: WorkerCounters['frontends'] = {};
  for (const f of proxy.frontends.values()) {
    const s = f.stats;
    frontends[f.name] = {
      addresses: f.addresses(), current: s.current, max: s.max, total: s.total, requests: s.requests,
      sessionRate: rateOf(s.sessionRate, now), requestRate: rateOf(s.requestRate, now), bytesIn: s.bytesIn, bytesOut: s.bytesOut,
      deniedReq: s.deniedReq, errors: s.errors, statuses: statusesOf(s.statuses),
    };
  }
  const backends: WorkerCounters['backends'] = {};
  for (const b of proxy.backendMap.values()) {
    const servers: Record<string, ServerCounters> = {};
    for (const s of [...b.servers.values(), ...b.removing]) {
      const c: ServerCounters = {
        active: s.active, maxActive: s.maxActive, total: s.total, sessionRate: rateOf(s.sessionRate, now), bytesIn: s.bytesIn,
        bytesOut: s.bytesOut, failedConns: s.failedConns, failedResp: s.failedResp, requests: s.requests, statuses: statusesOf(s.statuses),
        timings: s.timings.toJSON(),
      };
      servers[s.name] = servers[s.name] ? add(servers[s.name]!, c) : c;
    }
    backends[b.name] = {
      total: b.total, requests: b.requests, sessionRate: rateOf(b.sessionRate, now), bytesIn: b.bytesIn, bytesOut: b.bytesOut, deniedReq: b.deniedReq,
      errors: b.errors, statuses: statusesOf(b.statuses), queued: b.queued, maxQueue: b.maxQueue, timings: b.timings.toJSON(), servers,
    };
  }
  let sessions = 0;
  let requests = 0;
  for (const f of proxy.frontends.values()) {
    sessions += f.stats.total;
    requests += f.stats.requests;
  }
  return { workers: [{ pid: process.pid, connections: proxy.connections, sessions, requests }], connections: proxy.connections, frontends, backends };
}

/**
 * Sum two counter records of the same shape: numbers add, [rate, max] pairs add pairwise, other lists (bind
 * addresses, the same in every worker) are kept as they are.
 */
function add<T>(a: T, b: T): T {
  if (typeof a === 'number') return (a + (b as number)) as T;
  if (Array.isArray(a)) return (a.every((x) => typeof x === 'number') ? a.map((x, i) => x + (b as number[])[i]!) : a) as T;
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    out[k] = x === undefined ? y : y === undefined ? x : add(x, y);
  }
  return out as T;
}

/** The sum of every worker's counters. */
export function sumCounters(list: WorkerCounters[]): WorkerCounters | undefined {
  if (!list.length) return undefined;
  return { ...list.reduce((a, b) => add(a, b)), workers: list.flatMap((c) => c.workers) };
}

const absorbStatuses = (into: StatusCounts, from: Statuses) => Object.assign(into, from);

/**
 * Write the workers' summed counters into the control process's runtime objects, which the stats read.
 * `settle`: the counters were taken after every pool change so far, so a removed server they show idle has
 * finished its removal in every worker.
 */
export function absorbCounters(proxy: BuiltinProxy, sum: WorkerCounters, settle: boolean): void {
  proxy.connectionsElsewhere = sum.connections;
  proxy.workerShares = sum.workers;
  for (const f of proxy.frontends.values()) {
    const c = sum.frontends[f.name];
    if (!c) continue;
    const s = f.stats;
    f.reported = c.addresses;
    Object.assign(s, { current: c.current, max: c.max, total: c.total, requests: c.requests, bytesIn: c.bytesIn, bytesOut: c.bytesOut, deniedReq: c.deniedReq, errors: c.errors });
    s.sessionRate.absorb(...c.sessionRate);
    s.requestRate.absorb(...c.requestRate);
    absorbStatuses(s.statuses, c.statuses);
  }
  for (const b of proxy.backendMap.values()) {
    const c = sum.backends[b.name];
    if (!c) continue;
    Object.assign(b, { total: c.total, requests: c.requests, bytesIn: c.bytesIn, bytesOut: c.bytesOut, deniedReq: c.deniedReq, errors: c.errors, maxQueue: c.maxQueue, queuedElsewhere: c.queued });
    b.sessionRate.absorb(...c.sessionRate);
    absorbStatuses(b.statuses, c.statuses);
    b.timings.absorb(c.timings);
    for (const s of [...b.servers.values(), ...b.removing]) {
      const sc = sum.backends[b.name]?.servers[s.name] ?? ZERO_SERVER;
      Object.assign(s, { active: sc.active, maxActive: sc.maxActive, total: sc.total, bytesIn: sc.bytesIn, bytesOut: sc.bytesOut, failedConns: sc.failedConns, failedResp: sc.failedResp, requests: sc.requests });
      s.sessionRate.absorb(...sc.sessionRate);
      absorbStatuses(s.statuses, sc.statuses);
      s.timings.absorb(sc.timings);
    }
    if (settle) b.settleRemovals();
  }
}

const ZERO_SERVER: ServerCounters = {
  active: 0, maxActive: 0, total: 0, sessionRate: [0, 0], bytesIn: 0, bytesOut: 0, failedConns: 0, failedResp: 0, requests: 0, statuses: statusesOf(new StatusCounts()),
  timings: new Timings().toJSON(),
};
