// The runtime model's definitions: what a frontend and a backend are once defaults are applied. Types only,
// at the bottom of the proxy: every other part reads them, they import nothing of the engine or the sessions.
import type { Endpoint } from '../../net/index.js';
import type { ServerSpec } from '../../interfaces/index.js';
import type { CheckConfig } from '../check/config.js';
import type { CompiledRules } from '../http/rules.js';
import type { CookieConfig } from '../http/cookie.js';
import type { SorryConfig } from './config.js';
import type { BindSsl, CertStore, ServerSsl } from './tls.js';
import type { AccessLogDef } from './log-config.js';

export type Mode = 'http' | 'tcp';

export interface ResolvedTimeouts {
  connect: number;
  client: number;
  server: number;
  httpRequest: number;
  httpKeepAlive: number;
  queue: number;
  check?: number;
  /** WebSocket tunnels: idle timeout (default: the larger of client and server) */
  tunnel: number;
}

export interface FrontendDef {
  name: string;
  binds: Endpoint[];
  mode: Mode;
  backend: string;
  maxconn: number;
  timeouts: ResolvedTimeouts;
  /** undefined: no X-Forwarded-For; otherwise the networks whose clients get none */
  forwardfor?: { except: string[] };
  /** acl / use_backend / http-request / http-response, compiled */
  rules: CompiledRules;
  /** TLS termination: settings and the certificates read from them */
  ssl?: { config: BindSsl; certs: CertStore };
  /** `option httpclose`: the client connection closes after each response (and the server's, see serverClose) */
  httpClose: boolean;
  /** the server connection closes after each response (`option http-server-close` or `httpclose`, here or in the backend) */
  serverClose: boolean;
  /** the access log: where, in which format, request ids, captures */
  log: AccessLogDef;
}

export interface BackendDef {
  name: string;
  mode: Mode;
  balance: string;
  servers: ServerSpec[];
  /** per-server maxconn, by server name (ServerSpec has no maxconn; the config does) */
  maxconn: Record<string, number>;
  check?: CheckConfig;
  /** global.spread_checks: a check interval varies by up to this many percent either way */
  spreadChecksPct: number;
  retries: number;
  redispatch: boolean;
  sorry?: SorryConfig;
  graceMs: number;
  /** HAProxy's `slowstart` for servers that set none (ms, 0 = off) */
  slowstartMs: number;
  timeouts: ResolvedTimeouts;
  /** TLS to the servers */
  serverSsl?: ServerSsl;
  /** cookie persistence */
  cookie?: CookieConfig;
  /** the backend's own acl / http-request / http-response (a listen's are its frontend's), compiled */
  rules: CompiledRules;
  /** `option httpclose` or `http-server-close` here: server connections close after each response */
  serverClose: boolean;
  /** latency histograms kept for /metrics (`metrics:` in lbagent.yml): none, this backend's, or its servers' too */
  histograms: 'off' | 'backend' | 'server';
}

export interface ProxyModel {
  maxconn: number;
  frontends: FrontendDef[];
  backends: BackendDef[];
}
