// A small JSON-over-HTTP kit for the admin API and the agent RPC: routes declared as a table (method, path,
// body schema, handler) on find-my-way (fastify's router); auth, body reading, 404/405/413/400 and the
// `{error, code}` answer live here once, so a route is only what it does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from 'find-my-way';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { sameToken } from '../config/index.js';
import { ApiInternal, ApiMethodNotAllowed, ApiNotFound, ApiUnauthorized, errorMessage, LbaError } from '../errors/index.js';
import { parseJson, readBody, validate } from './body.js';
import { JsonAnswer, sendJson, sendText, TextAnswer } from './send.js';

export type Method = 'GET' | 'POST' | 'PUT';

export interface RouteContext<B> {
  req: IncomingMessage;
  res: ServerResponse;
  /** path parameters (`:name`), decoded */
  params: Record<string, string>;
  query: URLSearchParams;
  body: B;
}

/**
 * One endpoint. The handler returns the answer (sent as JSON with 200, or a TextAnswer), or undefined when it
 * answered itself (NDJSON streams). A route with a `body` schema has its body read, parsed and validated first.
 */
export interface Route<B = unknown> {
  method: Method | readonly Method[];
  path: string;
  body?: z.ZodType<B>;
  /** answered without the bearer token (the health endpoint: it reveals nothing else) */
  public?: boolean;
  handler(ctx: RouteContext<B>): unknown;
}

/** Declares a route with its body type taken from its schema. */
export function route<S extends z.ZodType>(r: { method: Method | readonly Method[]; path: string; body: S; public?: boolean; handler(ctx: RouteContext<z.output<S>>): unknown }): Route;
export function route(r: { method: Method | readonly Method[]; path: string; public?: boolean; handler(ctx: RouteContext<undefined>): unknown }): Route;
export function route(r: Route<never>): Route {
  return r as Route;
}

export interface ApiOptions {
  /** the log lines of unexpected (500) errors say which API */
  name: string;
  routes: readonly Route[];
  /** the bearer token every request must carry, when one is set (read per request: a reload may change it) */
  token: () => string | undefined;
  log: Logger;
  /** the admin API answers indented JSON (read by people with curl), the RPC compact JSON */
  pretty?: boolean;
  maxBody?: number;
  /** turns a part's own errors into coded ones (the admin API: the proxy's "no such backend") */
  mapError?: (err: unknown) => unknown;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The request listener for `http.createServer`. */
export function createApi(opts: ApiOptions): RequestListener {
  const router = Router({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  const methods = new Set<Method>();
  for (const r of opts.routes) {
    for (const m of typeof r.method === 'string' ? [r.method] : r.method) {
      methods.add(m);
      router.on(m, r.path, () => {}, r);
    }
  }

  const fail = (res: ServerResponse, err: unknown): void => {
    const mapped = opts.mapError?.(err) ?? err;
    const coded = mapped instanceof LbaError ? mapped : new ApiInternal(errorMessage(mapped));
    const status = coded.status ?? 500;
    if (status >= 500) opts.log.error({ err }, `${opts.name}: request failed`);
    if (res.headersSent) return void res.destroy();
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    sendJson(res, status, { error: coded.message, code: coded.code }, opts.pretty);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const found = router.find(method as Method, url);
    // the token first, so that without it nothing (not even which paths exist) is told, public routes aside
    if (!(found?.store as Route | undefined)?.public && !authorized(req, opts.token())) throw new ApiUnauthorized();
    if (!found) {
      const path = url.split('?')[0]!;
      const allowed = [...methods].filter((m) => m !== method && router.find(m, url));
      if (allowed.length) {
        res.setHeader('allow', allowed.join(', '));
        throw new ApiMethodNotAllowed(method, path, allowed.join(', '));
      }
      throw new ApiNotFound(method, path);
    }
    const r = found.store as Route;
    const body = r.body ? validate(r.body, parseJson(await readBody(req, opts.maxBody))) : undefined;
    const query = new URL(url, 'http://api').searchParams;
    const answer = await r.handler({ req, res, params: found.params as Record<string, string>, query, body });
    if (answer instanceof TextAnswer) sendText(res, 200, answer.text, answer.type);
    else if (answer instanceof JsonAnswer) sendJson(res, answer.status, answer.body, opts.pretty);
    else if (answer !== undefined) sendJson(res, 200, answer, opts.pretty);
  };

  return (req, res) => void serve(req, res).catch((err: unknown) => fail(res, err));
}

/** `Authorization: Bearer TOKEN`, compared in constant time; anything goes when no token is set. */
function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer\s+(.*)$/i.exec(req.headers.authorization ?? '')?.[1];
  return given !== undefined && sameToken(given, token);
}
