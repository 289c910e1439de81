// What one access-log line says: a request (HTTP) or a session (TCP), in HAProxy's terms. The sessions fill one
// record per line; the log-format renderer and the JSON log read it. Plain data: no getters, one shape.
import type { Termination } from './termination.js';

/** HAProxy's timers (ms); -1 for a phase never reached. */
export interface Timers {
  /** Tq in lbagent's JSON log: time to receive the request head (HAProxy's %TR) */
  Tq: number;
  /** Tw: time waiting in the queue */
  Tw: number;
  /** Tc: time to connect to the server */
  Tc: number;
  /** Tr: time from request sent to response head received */
  Tr: number;
  /** Tt in lbagent's JSON log: the request's active time (HTTP, HAProxy's %Ta) or the session's (TCP) */
  Tt: number;
}

export interface AccessRecord {
  /** when the stream began (epoch ms): the accept, or the end of the previous request on a keep-alive connection */
  accepted: number;
  /** when the request's first byte came (epoch ms); the accept for TCP */
  requestAt: number;
  /** when the line was made (epoch ms) */
  now: number;
  client: string;
  clientPort: number;
  frontendIp: string;
  frontendPort: number;
  frontend: string;
  /** the client connection is TLS: %ft adds `~` */
  tls: boolean;
  backend: string;
  server: string;
  serverIp: string;
  serverPort: number;
  timers: Timers;
  /** %Ti: idle time before the request's first byte (HTTP) */
  idle: number;
  /** the HTTP status; undefined when none was sent (TCP, or the client left first) */
  status?: number;
  /** bytes to the client (%B) */
  bytesRead: number;
  /** bytes from the client (%U) */
  bytesUploaded: number;
  /** HAProxy's two-letter session termination state: `--`, `CD`, `sC`, `SH`, `cR`, `PR`… */
  termination: Termination;
  /** the persistence cookie's two letters of %tsc (`--` without cookie persistence) */
  cookie: string;
  /** connections of the process (%ac), the frontend (%fc), the backend (%bc), the server (%sc) */
  actconn: number;
  feconn: number;
  beconn: number;
  srvconn: number;
  retries: number;
  /** requests ahead of this one in the server's and the backend's queue when it was queued */
  srvQueue: number;
  backendQueue: number;
  /** captured request / response header values (`capture request header`), in their order */
  reqCaptures?: string[];
  resCaptures?: string[];
  /** the request line (`GET / HTTP/1.1`, `<BADREQ>`); undefined for TCP */
  request?: string;
  method?: string;
  uri?: string;
  /** `HTTP/1.1` */
  version?: string;
  /** the request's unique id (unique-id-format) */
  uniqueId?: string;
  /** the process's request counter (%rt) */
  counter: number;
}

let counter = 0;
/** HAProxy's request counter (%rt): one per stream, HTTP request or TCP session, in this process. */
export function nextRequestCounter(): number {
  return counter++;
}
