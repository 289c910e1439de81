// HAProxy's words for check outcomes and its log lines, checked against haproxy 2.6's own output.
import type { CheckResult } from './api.js';

export const REASON = {
  L4OK: 'Layer4 check passed',
  L4TOUT: 'Layer4 timeout',
  L4CON: 'Layer4 connection problem',
  L6OK: 'Layer6 check passed',
  L6TOUT: 'Layer6 timeout',
  L6RSP: 'Layer6 invalid response',
  L7TOUT: 'Layer7 timeout',
  L7RSP: 'Layer7 invalid response',
  L7OK: 'Layer7 check passed',
  L7STS: 'Layer7 wrong status',
  SOCKERR: 'Socket error',
} as const;

/** The HAProxy counter shown as "status: x/y UP|DOWN". */
export interface HealthView {
  up: boolean;
  count: number;
  of: number;
}

export interface LineOptions {
  /** a backup server: "Backup Server …", "Health check for backup server …" */
  backup?: boolean;
}

/** ", reason: …, code: …, info: "…", check duration: …ms" as HAProxy appends it (srv_append_status). */
export function describeResult(r: CheckResult): string {
  let s = `, reason: ${r.reason}`;
  if (r.code !== undefined) s += `, code: ${r.code}`;
  if (r.info !== undefined && r.info !== '') s += `, info: "${r.info}"`;
  s += `, check duration: ${Math.round(r.durationMs)}ms`;
  return s;
}

/** The result as stats show it: "Layer7 wrong status, code: 404, info: "Not Found"" (no duration). */
export function summarizeResult(r: CheckResult): string {
  let s = r.reason;
  if (r.code !== undefined) s += `, code: ${r.code}`;
  if (r.info !== undefined && r.info !== '') s += `, info: "${r.info}"`;
  return s;
}

function checkLine(backend: string, server: string, r: CheckResult, h: HealthView, o: LineOptions): string {
  const verdict = r.ok ? 'succeeded' : 'failed';
  const who = o.backup ? 'backup server' : 'server';
  return `Health check for ${who} ${backend}/${server} ${verdict}${describeResult(r)}, status: ${h.count}/${h.of} ${h.up ? 'UP' : 'DOWN'}.`;
}

/** "Health check for server web/web11 failed, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: 8ms, status: 0/2 DOWN." */
export function checkFailedLine(backend: string, server: string, r: CheckResult, health: HealthView, o: LineOptions = {}): string {
  return checkLine(backend, server, { ...r, ok: false }, health, o);
}

/** "Health check for server web/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 1/2 DOWN." */
export function checkSucceededLine(backend: string, server: string, r: CheckResult, health: HealthView, o: LineOptions = {}): string {
  return checkLine(backend, server, { ...r, ok: true }, health, o);
}

export interface TransitionOptions extends LineOptions {
  /** the check that caused it; HAProxy puts it in the line unless `option log-health-checks` logged it already */
  result?: CheckResult;
  /** sessions still on the server (DOWN) */
  sessions?: number;
  requeued?: number;
  queued?: number;
}

function serverWord(o: LineOptions): string {
  return o.backup ? 'Backup Server' : 'Server';
}

/** "Server web/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue." */
export function serverUpLine(backend: string, server: string, active: number, backup: number, o: TransitionOptions = {}): string {
  const reason = o.result ? describeResult(o.result) : '';
  return (
    `${serverWord(o)} ${backend}/${server} is UP${reason}. ${active} active and ${backup} backup servers online.` +
    ` ${o.requeued ?? 0} sessions requeued, ${o.queued ?? 0} total in queue.`
  );
}

/** "Server web/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue." */
export function serverDownLine(backend: string, server: string, active: number, backup: number, o: TransitionOptions = {}): string {
  const reason = o.result ? describeResult(o.result) : '';
  return (
    `${serverWord(o)} ${backend}/${server} is DOWN${reason}. ${active} active and ${backup} backup servers left.` +
    ` ${o.sessions ?? 0} sessions active, ${o.requeued ?? 0} requeued, ${o.queued ?? 0} remaining in queue.`
  );
}

/** "backend web has no server available!" (HAProxy logs it when the last server goes DOWN) */
export function noServerLine(backend: string): string {
  return `backend ${backend} has no server available!`;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EPIPE: 'Broken pipe',
  EADDRNOTAVAIL: 'Cannot assign requested address',
};

/** strerror()-style text for a socket error, as HAProxy shows in `info`. */
export function errnoText(err: Error & { code?: string }): string {
  return (err.code && ERRNO_TEXT[err.code]) || err.message;
}
