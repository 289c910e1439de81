// zod building blocks shared by every config schema (main config, roles.yml, agent config).
import { z } from 'zod';
import { DURATION_EXPECTED, parseDuration } from './duration.js';
import { endpointProblem, ENDPOINT_EXPECTED, parseEndpoint } from '../net/index.js';

/** A duration in HAProxy's units, validated and converted to milliseconds. */
export const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (typeof ms !== 'number') {
      ctx.addIssue({ code: 'custom', message: ms.error, params: { expected: DURATION_EXPECTED } });
      return z.NEVER;
    }
    return ms;
  })
  .describe(DURATION_EXPECTED);

/** An "addr:port" endpoint (net's parseEndpoint) as a zod type. */
export const endpoint = (defaultHost = '0.0.0.0') =>
  z.string().transform((v, ctx) => {
    const ep = parseEndpoint(v, defaultHost);
    if (!ep) {
      ctx.addIssue({ code: 'custom', message: endpointProblem(v), params: { expected: ENDPOINT_EXPECTED } });
      return z.NEVER;
    }
    return ep;
  })
  .describe(ENDPOINT_EXPECTED);

/** A value from a fixed list, with the list in the error. */
export const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.unknown().transform((v, ctx): T => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    ctx.addIssue({ code: 'custom', message: `invalid value ${JSON.stringify(v)}`, params: { expected: `one of ${values.join(', ')}` } });
    return z.NEVER;
  });
