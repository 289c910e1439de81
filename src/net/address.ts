// host:port, the one module for it: every address lbagent reads (listeners, the admin API, the agent's bind,
// advertise and RPC addresses, serf's join addresses, HAProxy's runtime output) is parsed, checked and written
// here. At the bottom of src/ with no imports, so gossip uses it as the config and agent parts do.

/** An address: a host (name, IPv4 or IPv6 without brackets) and a port. */
export interface HostPort {
  host: string;
  port: number;
}
/** A listening address as the config files write it ("addr:port"). */
export type Endpoint = HostPort;

/** serf's gossip port, what a join address without one means. */
export const DEFAULT_GOSSIP_PORT = 7946;

/** A port as written: a number from `min` to 65535, or why not. */
export function portProblem(port: string, min = 1): string | undefined {
  if (!/^\d+$/.test(port)) return `port '${port}' is not a number`;
  const n = Number(port);
  if (n < min || n > 65535) return `port ${n} is out of range (${min} to 65535)`;
  return undefined;
}

// --- "addr:port" with the port required: listeners and the admin API (lbagent.yml) ---

export const ENDPOINT_EXPECTED = 'addr:port, e.g. 127.0.0.1:8080, [::1]:8080 or *:8080';

/** "addr:port"; IPv6 as "[::1]:80"; "*:80" or ":80" means every address (`defaultHost`). */
export function parseEndpoint(v: string, defaultHost = '0.0.0.0'): Endpoint | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(v.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return undefined;
  let host = m[1] ?? m[2] ?? '';
  if (host === '' || host === '*') host = defaultHost;
  return { host, port };
}

/** What is wrong with an address parseEndpoint refused, in words: the port's problem when it has one (99999, "http"). */
export function endpointProblem(v: string): string {
  const port = /:([^:\]]*)$/.exec(v.trim())?.[1];
  const why = port === undefined ? '' : !/^\d+$/.test(port) ? `: port '${port}' is not a number` : Number(port) > 65535 ? `: port ${port} is out of range (0 to 65535)` : '';
  return `invalid address '${v}'${why}`;
}

// --- "host[:port]" with a default port: the agent's bind, advertise and RPC addresses ---

/** "host:port", "host" (default port), "[v6]:port", ":port". */
export function parseHostPort(value: string, defaultPort: number, defaultHost = '0.0.0.0'): HostPort | undefined {
  const v = value.trim();
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(v);
  if (bracket) return checkPort({ host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : defaultPort });
  const colons = v.split(':').length - 1;
  if (colons > 1) return { host: v, port: defaultPort }; // bare IPv6
  const [host, port] = v.split(':');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
  return checkPort({ host: host || defaultHost, port: port === undefined ? defaultPort : Number(port) });
}

function checkPort(hp: HostPort): HostPort | undefined {
  return hp.port >= 0 && hp.port <= 65535 && hp.host !== '' ? hp : undefined;
}

/** Why parseHostPort refused `value`, in words: the port's problem when it has one. */
export function hostPortProblem(value: string): string {
  const v = value.trim();
  const port = /^\[[^\]]*\]:(.*)$/.exec(v)?.[1] ?? (v.split(':').length === 2 ? v.split(':')[1] : undefined);
  const why = port === undefined || port === '' ? undefined : portProblem(port, 0);
  return `invalid address '${value}'${why ? `: ${why}` : ''}`;
}

/** "host:port", IPv6 in brackets. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

// --- serf's join addresses ---

/** "host", "host:port", "[v6]:port" or a bare IPv6, as serf's join addresses; the port defaults to 7946. */
export function parseJoinAddr(a: string): HostPort | { error: string } {
  const s = a.trim();
  let host = s;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (v6) [host, port] = [v6[1]!, v6[2]];
  else if (s.indexOf(':') === s.lastIndexOf(':') && s.includes(':')) [host, port] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)];
  if (!host) return { error: `'${a}': no host` };
  const bad = port === undefined ? undefined : portProblem(port);
  if (bad) return { error: `'${a}': ${bad}` };
  return { host, port: port === undefined ? DEFAULT_GOSSIP_PORT : Number(port) };
}

// --- what HAProxy itself writes ---

/** An address from HAProxy's runtime API output ("10.0.0.5:80", "[::1]:80", "10.0.0.5" → port 0): trusted, not checked. */
export function splitRuntimeAddr(a: string): HostPort {
  const i = a.lastIndexOf(':');
  return i < 0 ? { host: a, port: 0 } : { host: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
}
