// zod building blocks shared by every config schema (main config, roles.yml, agent config).
import { z } from 'zod';
import { DURATION_EXPECTED, parseDuration } from './duration.js';

/** A duration in HAProxy's units, validated and converted to milliseconds. */
export const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (typeof ms !== 'number') {
      ctx.addIssue({ code: 'custom', message: ms.error, params: { expected: DURATION_EXPECTED } });
      return z.NEVER;
    }
    return ms;
  });

/** An "addr:port" endpoint. IPv6 as "[::1]:80"; "*:80" or ":80" means every address. */
export interface Endpoint {
  host: string;
  port: number;
}

export const ENDPOINT_EXPECTED = 'addr:port, e.g. 127.0.0.1:8080, [::1]:8080 or *:8080';

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

export const endpoint = (defaultHost = '0.0.0.0') =>
  z.string().transform((v, ctx) => {
    const ep = parseEndpoint(v, defaultHost);
    if (!ep) {
      ctx.addIssue({ code: 'custom', message: endpointProblem(v), params: { expected: ENDPOINT_EXPECTED } });
      return z.NEVER;
    }
    return ep;
  });

/** A value from a fixed list, with the list in the error. */
export const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.unknown().transform((v, ctx): T => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    ctx.addIssue({ code: 'custom', message: `invalid value ${JSON.stringify(v)}`, params: { expected: `one of ${values.join(', ')}` } });
    return z.NEVER;
  });
