// The agent's host:port addresses (gossip bind and advertise, RPC address), as flags, config files and the CLI
// write them.
import { portProblem } from '../gossip/index.js';

export interface HostPort {
  host: string;
  port: number;
}

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

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
