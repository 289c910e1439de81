// One access-log line per request (HTTP) or session (TCP), with HAProxy's timers and termination state.
import type { Logger } from 'pino';
import type { Termination } from './termination.js';

export interface Timers {
  /** Tq: time to receive the full request head (ms) */
  Tq: number;
  /** Tw: time waiting in the queue */
  Tw: number;
  /** Tc: time to connect to the server */
  Tc: number;
  /** Tr: time from request sent to response head received */
  Tr: number;
  /** Tt: total */
  Tt: number;
}

export interface AccessRecord {
  client: string;
  frontend: string;
  backend: string;
  server: string;
  timers: Timers;
  status?: number;
  bytesRead: number;
  /** HAProxy's two-letter session termination state: `--`, `CD`, `sC`, `SH`, `cR`, `PR`… */
  termination: Termination;
  retries: number;
  request?: string;
}

/** HAProxy prints -1 for timers of phases never reached. */
const t = (n: number) => (n < 0 ? '-1' : String(Math.round(n)));

export function logAccess(log: Logger, r: AccessRecord): void {
  if (!log.isLevelEnabled('info')) return; // do not build the line for nothing
  const timers = `${t(r.timers.Tq)}/${t(r.timers.Tw)}/${t(r.timers.Tc)}/${t(r.timers.Tr)}/${t(r.timers.Tt)}`;
  const req = r.request !== undefined ? ` "${r.request}"` : '';
  const status = r.status !== undefined ? ` ${r.status}` : '';
  log.info(
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
    },
    `${r.client} ${r.frontend} ${r.backend}/${r.server} ${timers}${status} ${r.bytesRead} ${r.termination} ${r.retries}${req}`,
  );
}
