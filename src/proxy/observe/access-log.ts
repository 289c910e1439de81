// One access-log line per request (HTTP) or session (TCP): rendered with the frontend's log format (httplog,
// tcplog or its log_format) and sent to its `log` targets (syslog over UDP, stdout, stderr), or, without
// targets, written as a JSON record through pino whose `msg` is that line.
import type { Logger } from 'pino';
import type { AccessLogDef } from '../model/log-config.js';
import type { AccessRecord } from './access-record.js';
import { renderLogFormat } from './log-format.js';
import { frameLine, SEVERITY_INFO, type LogSinks } from './log-sink.js';

export type { AccessRecord, Timers } from './access-record.js';

/** Where a process's access-log lines go. */
export interface AccessLogOut {
  /** the JSON access log */
  json: Logger;
  /** the `log` targets' sockets and streams */
  sinks: LogSinks;
}

/** Whether a line would go anywhere: checked before a record is built, so a silent log costs nothing. */
export function accessLogWanted(out: AccessLogOut, def: AccessLogDef): boolean {
  if (!def.enabled) return false;
  if (def.targets.length === 0) return out.json.isLevelEnabled('info');
  for (const t of def.targets) if (t.level >= SEVERITY_INFO) return true;
  return false;
}

export function logAccess(out: AccessLogOut, def: AccessLogDef, r: AccessRecord): void {
  const line = renderLogFormat(def.format, r);
  if (def.targets.length) {
    for (const t of def.targets) if (t.level >= SEVERITY_INFO) out.sinks.get(t.target).write(frameLine(t, line, SEVERITY_INFO, r.now));
    return;
  }
  out.json.info(
    {
      access: true,
      client: r.client,
      frontend: r.frontend,
      backend: r.backend,
      server: r.server,
      ...r.timers,
      status: r.status,
      bytes: r.bytesRead,
      termination: r.termination,
      retries: r.retries,
      request: r.request,
      id: r.uniqueId,
      request_headers: r.reqCaptures,
      response_headers: r.resCaptures,
    },
    line,
  );
}
