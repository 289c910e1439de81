// Health checks of one server, from the backend's `check:` section and the server's overrides, wired to its state.
import type { Logger } from 'pino';
import type { ServerSpec } from '../../interfaces/index.js';
import type { CheckTiming } from '../check/api.js';
import { checkKindOf } from '../check/config.js';
import { checkFailedLine, checkSucceededLine, createHealthCheck, DEFAULT_TIMING, serverDownLine, serverUpLine, summarizeResult } from '../check/index.js';
import type { BackendDef } from '../model/defs.js';
import type { ServerRuntime } from './server.js';
import type { Buckets } from '../../metrics/index.js';

export function checkTimingOf(def: BackendDef, spec: ServerSpec): CheckTiming {
  const o = spec.check ?? {};
  const inter = o.inter ?? def.check?.inter ?? DEFAULT_TIMING.interMs;
  return {
    interMs: inter,
    rise: o.rise ?? def.check?.rise ?? DEFAULT_TIMING.rise,
    fall: o.fall ?? def.check?.fall ?? DEFAULT_TIMING.fall,
    timeoutMs: def.timeouts.check ?? inter,
    spreadPct: def.spreadChecksPct,
  };
}

/** Start checking `server`; transitions flip its health and call `changed` so the backend re-balances. */
export function attachCheck(def: BackendDef, spec: ServerSpec, server: ServerRuntime, log: Logger, counts: () => { active: number; backup: number }, changed: () => void, times?: Buckets): void {
  // spec.check.port: check another port than the traffic port
  const backend = def.name;
  const handle = createHealthCheck({
    backend,
    server: server.name,
    addr: server.addr,
    port: spec.check?.port ?? server.port,
    kind: checkKindOf(def.check),
    timing: checkTimingOf(def, spec),
    initiallyUp: true,
    tls: server.tls,
    onResult(r, health) {
      server.check = { status: r.ok ? 'passed' : 'failed', lastResult: summarizeResult(r), durationMs: r.durationMs };
      if (!r.ok) server.checksFailed++;
      times?.record(r.durationMs);
      // One line when the health counter moves, as HAProxy logs it (option log-health-checks).
      if (health.changed) {
        const line = r.ok ? checkSucceededLine(backend, server.name, r, health, { backup: server.backup }) : checkFailedLine(backend, server.name, r, health, { backup: server.backup });
        log.info({ backend, server: server.name }, line);
      }
    },
    onTransition(up) {
      const before = server.status;
      server.checkUp = up;
      server.noteTransition(before);
      changed();
      const c = counts();
      // The check line above already gave the reason, so the transition line does not repeat it (HAProxy's
      // log-health-checks mode).
      const o = { backup: server.backup, sessions: server.active };
      if (up) log.warn({ backend, server: server.name }, serverUpLine(backend, server.name, c.active, c.backup, o));
      else log.warn({ backend, server: server.name }, serverDownLine(backend, server.name, c.active, c.backup, o));
    },
  });
  server.healthCheck = handle;
  handle.start();
}
