// Contract of server health checks (HAProxy's `check`, `option httpchk`, `http-check expect`, `tcp-check`).
// One HealthCheck per server; it owns its timer and sockets and reports results and transitions.

export type CheckKind =
  | { type: 'tcp' } // connect only (Layer4)
  | { type: 'tcp-expect'; send?: string; expect: string /* regex, e.g. "^SSH-" */ }
  | {
      type: 'http';
      method: string; // GET, HEAD, OPTIONS…
      path: string;
      host?: string;
      headers?: Record<string, string>;
      /** HAProxy `http-check expect status`: "200", "200,204", "200-399"; default 2xx|3xx */
      expectStatus?: string;
      /** HAProxy `http-check expect rstring REGEX`: body must match */
      expectBody?: string;
    };

export interface CheckTiming {
  interMs: number; // default 2000
  fastinterMs?: number; // while transitioning; default inter
  downinterMs?: number; // while DOWN; default inter
  rise: number; // default 2
  fall: number; // default 3
  timeoutMs: number; // `timeout check`; default inter
  /** HAProxy's spread-checks: each interval varies by up to this many percent either way (default 0) */
  spreadPct?: number;
}

/** One check's outcome, in HAProxy's vocabulary. */
export interface CheckResult {
  ok: boolean;
  /** e.g. "Layer4 check passed", "Layer4 connection problem", "Layer4 timeout", "Layer7 wrong status", "Layer7 check passed", "Layer6 invalid response" */
  reason: string;
  /** HTTP status when any */
  code?: number;
  /** extra detail, e.g. "Connection refused" or the status line text */
  info?: string;
  durationMs: number;
}

export interface HealthCheckOptions {
  backend: string;
  server: string;
  addr: string;
  port: number;
  kind: CheckKind;
  timing: CheckTiming;
  /** start UP (HAProxy starts servers UP, then the first failures bring them down after `fall`) */
  initiallyUp: boolean;
  /** called on every completed check (stats: last check, duration) */
  /** `changed`: the rise/fall counter moved (HAProxy's `option log-health-checks` logs the check line only then) */
  onResult?: (r: CheckResult, health: { up: boolean; count: number; of: number; changed?: boolean }) => void;
  /** called when the server crosses rise/fall: up=true → UP, false → DOWN */
  onTransition: (up: boolean, r: CheckResult) => void;
  /** TLS to the server for checks (issue 6 fills this in); plain TCP when undefined */
  tls?: import('node:tls').ConnectionOptions;
}

export interface HealthCheckHandle {
  readonly up: boolean;
  readonly last?: CheckResult;
  start(): void;
  stop(): void;
  /** change timings in place (controller overrides, config reload) */
  retime(t: CheckTiming): void;
}

// Implementation entry points -- ./index.ts (line formats checked against haproxy 2.6's own output):
//   createHealthCheck(opts: HealthCheckOptions): HealthCheckHandle
//   checkFailedLine(backend, server, r, health)    -> "Health check for server web/web11 failed, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: 8ms, status: 0/2 DOWN."
//   checkSucceededLine(backend, server, r, health) -> "Health check for server web/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 1/2 DOWN."
//   serverUpLine(backend, server, active, backup, {result?}) -> "Server web/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
//   serverDownLine(backend, server, active, backup, {result?, sessions?}) -> "Server web/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
//     (with `result`, HAProxy's form without `option log-health-checks`: "Server web/web11 is DOWN, reason: …, check duration: 1ms. 1 active …")
//   noServerLine(backend) -> "backend web has no server available!"; summarizeResult(r) -> "Layer7 wrong status, code: 404, info: "Not Found"" (stats)
//   checkKindError(kind) -> {error, expected} for config validation (bad regex / status list); createHealthCheck throws on those.
