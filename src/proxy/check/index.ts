// Server health checks: createHealthCheck() runs one server's checks on its own timer and reports
// results and rise/fall transitions in HAProxy's words.
import type { CheckKind, CheckResult, CheckTiming, HealthCheckHandle, HealthCheckOptions } from './api.js';
import { HealthCounter } from './health.js';
import { runProbe, type PreparedKind, type Probe } from './probe.js';
import { parseExpectStatus } from './expect-status.js';
import { REASON } from './words.js';
import { errorMessage } from '../../errors/index.js';
import { RE2JS } from 're2js';

export type { CheckKind, CheckResult, CheckTiming, HealthCheckHandle, HealthCheckOptions } from './api.js';
export {
  REASON,
  checkFailedLine,
  checkSucceededLine,
  serverUpLine,
  serverDownLine,
  noServerLine,
  describeResult,
  summarizeResult,
  type HealthView,
  type TransitionOptions,
} from './words.js';
export { parseExpectStatus, STATUS_EXPECTED } from './expect-status.js';

export const DEFAULT_TIMING: CheckTiming = { interMs: 2000, rise: 2, fall: 3, timeoutMs: 2000 };

/** Compile regexes and build the request once. Throws on an invalid regex or status list (config validates first). */
export function prepareKind(kind: CheckKind, addr: string, port: number): PreparedKind {
  switch (kind.type) {
    case 'tcp':
      return { type: 'tcp' };
    case 'tcp-expect':
      return {
        type: 'tcp-expect',
        send: kind.send === undefined ? undefined : Buffer.from(kind.send, 'latin1'),
        expect: RE2JS.compile(kind.expect),
        step: kind.send === undefined ? 1 : 2,
      };
    case 'http': {
      const status = parseExpectStatus(kind.expectStatus);
      if (typeof status !== 'function') throw new Error(`${status.error} (expected ${status.expected})`);
      const method = kind.method.toUpperCase();
      const host = kind.host ?? (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
      const lines = [`${method} ${kind.path} HTTP/1.1`, `Host: ${host}`];
      for (const [name, value] of Object.entries(kind.headers ?? {})) {
        if (!/^(host|connection)$/i.test(name)) lines.push(`${name}: ${value}`);
      }
      lines.push('Connection: close', '', '');
      return {
        type: 'http',
        request: Buffer.from(lines.join('\r\n'), 'latin1'),
        head: method === 'HEAD',
        status,
        body: kind.expectBody === undefined ? undefined : RE2JS.compile(kind.expectBody),
      };
    }
  }
}

/** Why a check kind cannot run (bad regex or status list), for config validation before createHealthCheck. */
export function checkKindError(kind: CheckKind): { error: string; expected: string } | undefined {
  const regex = (what: string, re: string | undefined) => {
    if (re === undefined) return undefined;
    try {
      RE2JS.compile(re);
      return undefined;
    } catch (err) {
      return { error: `invalid ${what} regex '${re}': ${errorMessage(err)}`, expected: 'an RE2 regular expression, e.g. ^SSH-' };
    }
  };
  if (kind.type === 'tcp-expect') return regex('expect', kind.expect);
  if (kind.type === 'http') {
    const status = parseExpectStatus(kind.expectStatus);
    if (typeof status !== 'function') return status;
    return regex('body', kind.expectBody);
  }
  return undefined;
}

export interface HealthCheckExtras {
  /** random source for the first check's spread (tests); default Math.random */
  random?: () => number;
}

export function createHealthCheck(opts: HealthCheckOptions & HealthCheckExtras): HealthCheckHandle {
  const kind = prepareKind(opts.kind, opts.addr, opts.port);
  let timing = opts.timing;
  const counter = new HealthCounter(timing.rise, timing.fall, opts.initiallyUp);
  const random = opts.random ?? Math.random;
  let last: CheckResult | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = 0;
  let probe: Probe | undefined;
  let running = false;

  /** HAProxy: fastinter while between UP and DOWN, downinter while fully DOWN, inter otherwise. */
  const interval = () => {
    if (counter.transitional) return timing.fastinterMs ?? timing.interMs;
    if (counter.down) return timing.downinterMs ?? timing.interMs;
    return timing.interMs;
  };
  /** The next interval with spread-checks' jitter, so servers started together drift apart. */
  const jittered = () => spread(interval(), timing.spreadPct ?? 0, random);

  const schedule = (delayMs: number) => {
    clearTimeout(timer);
    dueAt = Date.now() + delayMs;
    timer = setTimeout(runOnce, Math.max(0, delayMs));
    timer.unref?.();
  };

  const runOnce = async () => {
    timer = undefined;
    let p: Probe;
    try {
      p = runProbe({ addr: opts.addr, port: opts.port, timeoutMs: timing.timeoutMs, tls: opts.tls }, kind);
    } catch (err) {
      // e.g. unusable TLS options: a failed check, not a crash
      const failed: CheckResult = { ok: false, reason: REASON.SOCKERR, info: errorMessage(err), durationMs: 0 };
      p = { done: Promise.resolve(failed), cancel: () => {} };
    }
    probe = p;
    const r = await p.done;
    if (probe === p) probe = undefined;
    if (!running || r === undefined) return;
    last = r;
    const { changed, transition } = counter.record(r.ok);
    const view = counter.view();
    try {
      opts.onResult?.(r, { ...view, changed });
      if (transition) opts.onTransition(transition === 'up', r);
    } finally {
      // the next check counts from the end of this one, as HAProxy does
      if (running) schedule(jittered());
    }
  };

  return {
    get up() {
      return counter.up;
    },
    get last() {
      return last;
    },
    start() {
      if (running) return;
      running = true;
      // spread the first check over one interval so a pool's checks do not all fire together
      schedule(Math.floor(random() * interval()));
    },
    stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      probe?.cancel();
      probe = undefined;
    },
    retime(t: CheckTiming) {
      timing = t;
      counter.retime(t.rise, t.fall);
      // a pending check is brought forward if the new interval is shorter, never pushed back
      if (running && timer) schedule(Math.min(dueAt - Date.now(), interval()));
    },
  };
}

/** `ms` moved by up to `pct` percent either way (HAProxy's spread-checks), never below 1 ms. */
export function spread(ms: number, pct: number, random: () => number = Math.random): number {
  if (pct <= 0) return ms;
  return Math.max(1, Math.round(ms * (1 + ((random() * 2 - 1) * pct) / 100)));
}
