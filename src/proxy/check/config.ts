// The `check:` section of a backend and the check it means: the schema and its reading into a CheckKind live
// beside the checks, so the config, the engine and the checks agree on one word for each kind.
import { z } from 'zod';
import { duration, oneOf } from '../../config/index.js';
import type { CheckKind } from './api.js';

const strict = z.strictObject;

export const checkSchema = strict({
  type: oneOf(['tcp', 'tcp-expect', 'http'] as const).optional(),
  send: z.string().optional(),
  expect: z.string().optional(),
  method: z.string().regex(/^[A-Z]+$/).optional(),
  path: z.string().startsWith('/').optional(),
  host: z.string().optional(),
  status: z.union([z.number().int(), z.string().regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/)]).optional(),
  body: z.string().optional(),
  inter: duration().optional(),
  rise: z.number().int().min(1).optional(),
  fall: z.number().int().min(1).optional(),
});
export type CheckConfig = z.output<typeof checkSchema>;

export function checkKindOf(c: CheckConfig | undefined): CheckKind {
  if (!c || c.type === undefined || c.type === 'tcp') {
    if (c?.expect !== undefined && c.type !== 'tcp') return { type: 'tcp-expect', send: c.send, expect: c.expect };
    return { type: 'tcp' };
  }
  // The config rejects tcp-expect without `expect`; never turn a missing pattern into one that matches anything.
  if (c.type === 'tcp-expect') return { type: 'tcp-expect', send: c.send, expect: c.expect ?? '(?!)' };
  return {
    type: 'http',
    method: c.method ?? 'GET',
    path: c.path ?? '/',
    host: c.host,
    expectStatus: c.status === undefined ? undefined : String(c.status),
    expectBody: c.body,
  };
}
