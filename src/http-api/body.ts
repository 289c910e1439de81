// The one body reader of both HTTP APIs: a size limit, JSON, then the route's zod schema.
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { ApiBadBody, ApiBadJson, ApiBodyTooLarge, errorMessage } from '../errors/index.js';

/** 1 MiB: far above any real request (a pool of servers, a query), far below what would hurt the process. */
export const MAX_BODY = 1 << 20;

/** The raw body, refused (413) as soon as it passes `limit`: a declared length is checked before reading. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new ApiBodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new ApiBodyTooLarge(limit);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** JSON text to a value; an empty (or blank) body is `undefined`, which the route's schema accepts or refuses. */
export function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiBadJson(errorMessage(err));
  }
}

/** The body as the schema types it, or a 400 that names each field that is wrong. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiBadBody(r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
}
