// Resolve the proxy sections into the runtime model: defaults applied, `listen` split into a frontend and a backend.
import type { ServerSpec } from '../../interfaces/index.js';
import { compileRules } from '../http/rules.js';
import type { ProxySections, Timeouts } from './config.js';
import type { BackendDef, FrontendDef, ProxyModel, ResolvedTimeouts } from './defs.js';
import { loadCertStore } from './tls.js';
import { resolveAccessLog } from './log-config.js';

// HAProxy warns when timeouts are missing; these are its commonly recommended values.
export const DEFAULT_TIMEOUTS = { connect: 5000, client: 50_000, server: 50_000 };
export const DEFAULT_MAXCONN = 10_000;
export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_RETRIES = 3;

function resolveTimeouts(...layers: (Timeouts | undefined)[]): ResolvedTimeouts {
  const pick = <K extends keyof Timeouts>(k: K): number | undefined => {
    for (const l of layers) if (l?.[k] !== undefined) return l[k] as number;
    return undefined;
  };
  const client = pick('client') ?? DEFAULT_TIMEOUTS.client;
  const connect = pick('connect') ?? DEFAULT_TIMEOUTS.connect;
  // As HAProxy: http-request falls back to client, http-keep-alive to http-request, queue to connect.
  const httpRequest = pick('http-request') ?? client;
  return {
    connect,
    client,
    server: pick('server') ?? DEFAULT_TIMEOUTS.server,
    httpRequest,
    httpKeepAlive: pick('http-keep-alive') ?? httpRequest,
    queue: pick('queue') ?? connect,
    check: pick('check'),
    tunnel: pick('tunnel') ?? Math.max(client, pick('server') ?? DEFAULT_TIMEOUTS.server),
  };
}

type ConnectionOptions = { httpclose?: boolean; 'http-server-close'?: boolean };

/** HAProxy's connection mode of a proxy (its own option, else the defaults'): httpclose closes both sides. */
function connectionMode(p: ConnectionOptions, d: ConnectionOptions): { httpClose: boolean; serverClose: boolean } {
  // A proxy's own http-server-close replaces an httpclose it inherits, as in HAProxy.
  const own = p.httpclose ?? (p['http-server-close'] === true ? false : undefined);
  const httpClose = own ?? d.httpclose ?? false;
  return { httpClose, serverClose: httpClose || (p['http-server-close'] ?? d['http-server-close'] ?? false) };
}

/** Not HAProxy's default (0), which checks a pool in lockstep: a hundred servers are not checked at one instant. */
const DEFAULT_SPREAD_CHECKS_PCT = 5;

export function resolveModel(cfg: ProxySections): ProxyModel {
  const d = cfg.defaults ?? {};
  const maxconn = cfg.global?.maxconn ?? DEFAULT_MAXCONN;
  const m = cfg.metrics;
  const histograms = m?.histograms === false ? 'off' : m?.server_histograms ? 'server' : 'backend';
  const frontends: FrontendDef[] = [];
  const backends: BackendDef[] = [];

  const fe = (name: string, f: NonNullable<ProxySections['listen']>[string] | NonNullable<ProxySections['frontends']>[string], backend: string) => {
    const ff = f.forwardfor ?? d.forwardfor;
    const except = typeof ff === 'object' && ff.except !== undefined ? (Array.isArray(ff.except) ? ff.except : [ff.except]) : [];
    const mode = f.mode ?? d.mode ?? 'http';
    frontends.push({
      name,
      binds: f.bind,
      mode,
      backend,
      maxconn: f.maxconn ?? d.maxconn ?? maxconn,
      timeouts: resolveTimeouts(f.timeout, d.timeout),
      forwardfor: ff ? { except } : undefined,
      rules: compileRules(f),
      ssl: f.ssl ? { config: f.ssl, certs: loadCertStore(f.ssl) } : undefined,
      ...connectionMode(f, d),
      log: resolveAccessLog(mode, f, d, cfg.global?.log),
    });
  };
  const be = (name: string, b: NonNullable<ProxySections['listen']>[string] | NonNullable<ProxySections['backends']>[string], ownRules: boolean) => {
    const maxconns: Record<string, number> = {};
    const servers: ServerSpec[] = (b.servers ?? []).map((s) => {
      if (s.maxconn) maxconns[s.name] = s.maxconn;
      const checkOn = s.check ?? false;
      return {
        name: s.name,
        addr: s.addr.host,
        port: s.addr.port,
        weight: s.weight ?? 1,
        backup: s.backup ?? false,
        monitorOnly: s.monitor ?? false,
        check: { enabled: checkOn || (s.monitor ?? false), inter: s.inter, rise: s.rise, fall: s.fall, port: s.port },
        ...(s.slowstart !== undefined ? { slowstart: s.slowstart } : {}),
        // `lbagent servers` says why it is there, as the HAProxy driver does for haproxy.cfg's servers
        reason: 'static server from lbagent.yml',
      };
    });
    backends.push({
      name,
      mode: b.mode ?? d.mode ?? 'http',
      balance: b.balance ?? d.balance ?? 'roundrobin',
      servers,
      maxconn: maxconns,
      check: b.check,
      spreadChecksPct: cfg.global?.spread_checks ?? DEFAULT_SPREAD_CHECKS_PCT,
      retries: b.retries ?? d.retries ?? DEFAULT_RETRIES,
      redispatch: b.redispatch ?? d.redispatch ?? false,
      sorry: b.sorry,
      graceMs: b.grace ?? d.grace ?? DEFAULT_GRACE_MS,
      slowstartMs: b.slowstart ?? d.slowstart ?? 0,
      timeouts: resolveTimeouts(b.timeout, d.timeout),
      serverSsl: b.server_ssl,
      cookie: b.cookie,
      rules: compileRules(ownRules ? { acl: b.acl, 'http-request': b['http-request'], 'http-response': b['http-response'] } : {}),
      serverClose: connectionMode(b, d).serverClose,
      histograms,
    });
  };

  for (const [name, f] of Object.entries(cfg.frontends ?? {})) fe(name, f, f.default_backend ?? '');
  for (const [name, b] of Object.entries(cfg.backends ?? {})) be(name, b, true);
  for (const [name, l] of Object.entries(cfg.listen ?? {})) {
    fe(name, l, name);
    be(name, l, false); // a listen's rules run once, as its frontend's
  }
  return { maxconn, frontends, backends };
}
