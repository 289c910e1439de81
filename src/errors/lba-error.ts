// The base of every coded error, in the manner of fastify's FST_ERR_* and undici's UND_ERR_*:
// a stable code scripts and docs refer to, a message template, and the HTTP status an API answers with.
import { format } from 'node:util';

/** Which part of lbagent raises the error; the docs table groups codes by it. */
export type ErrorPart = 'config' | 'api' | 'rpc' | 'admin' | 'driver' | 'gossip' | 'proxy' | 'cli';

/** The parts in the order the docs table lists them. */
export const ERROR_PARTS: readonly ErrorPart[] = ['config', 'api', 'rpc', 'admin', 'driver', 'gossip', 'proxy', 'cli'];

export interface ErrorSpec {
  /** LBA_ERR_*, never renamed once released */
  readonly code: `LBA_ERR_${string}`;
  readonly part: ErrorPart;
  /** util.format template: %s placeholders are filled from the constructor's arguments */
  readonly message: string;
  /** the status an HTTP API (admin, agent RPC) answers with when this error reaches it */
  readonly status?: number;
}

export class LbaError extends Error {
  readonly code: ErrorSpec['code'];
  readonly part: ErrorPart;
  readonly status: number | undefined;

  constructor(spec: ErrorSpec, args: readonly unknown[] = [], options?: ErrorOptions) {
    super(args.length ? format(spec.message, ...args) : spec.message, options);
    this.code = spec.code;
    this.part = spec.part;
    this.status = spec.status;
    this.name = 'LbaError';
  }
}

/** A constructor for one code; `new BadAddress(detail)` fills the template's %s in order. */
export interface LbaErrorClass<A extends readonly unknown[]> {
  new (...args: A): LbaError;
  readonly spec: ErrorSpec;
  readonly code: ErrorSpec['code'];
}

const registry = new Map<string, ErrorSpec>();

/** Defines a coded error and records it in the catalogue (a code defined twice is a programming error). */
export function defineError<A extends readonly unknown[] = []>(spec: ErrorSpec): LbaErrorClass<A> {
  if (registry.has(spec.code)) throw new Error(`error code ${spec.code} defined twice`);
  registry.set(spec.code, spec);
  const Coded = class extends LbaError {
    static readonly spec = spec;
    static readonly code = spec.code;
    constructor(...args: A) {
      super(spec, args);
    }
  };
  Object.defineProperty(Coded, 'name', { value: spec.code });
  return Coded;
}

/** Every code defined so far (all of them once ./index.js is loaded), in definition order. */
export function catalogue(): ErrorSpec[] {
  return [...registry.values()];
}

/**
 * The error an HTTP API answered with (`{error, code}` and its status), rebuilt on the client's side so that the
 * CLI reports the server's message and code as its own (undici's ResponseError plays this part).
 */
export function answeredError(status: number, body: { error?: unknown; code?: unknown }): LbaError {
  const code = typeof body.code === 'string' && body.code.startsWith('LBA_ERR_') ? (body.code as ErrorSpec['code']) : 'LBA_ERR_API_INTERNAL';
  const message = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const part = registry.get(code)?.part ?? 'api';
  return new LbaError({ code, part, message, status });
}

/** True for an LbaError, or one of the given code when a class is passed. */
export function isLbaError(err: unknown, kind?: { readonly code: string }): err is LbaError {
  return err instanceof LbaError && (kind === undefined || err.code === kind.code);
}

/** The message of anything thrown: replaces `(err as Error).message`, which lies for non-Error throws. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : format('%o', err);
}

/** A line for a person: the message, then the LBA_ERR_* code in brackets when the error has one. */
export function describeError(err: unknown): string {
  const code = errorCode(err);
  const message = errorMessage(err);
  return code?.startsWith('LBA_ERR_') && !message.includes(`[${code}]`) ? `${message} [${code}]` : message;
}

/** The code of anything thrown (Node's ERR_* and errno codes such as ECONNREFUSED included), if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
