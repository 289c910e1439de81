// One request and its response (an exchange) and what the concerns of an HTTP session see of the session.
// Each concern (reading heads, routing, forwarding, responses, tunnels, answers, logging) is a module of
// functions over these two shapes; the session (session.ts) owns the socket events and the life cycle, and the
// modules reach it only through `HttpConn`, so none of them imports another's caller (no import cycle).
import type { Socket } from 'node:net';
import type { BackendRuntime } from '../../engine/backend.js';
import type { Connecting } from '../../engine/connect.js';
import type { EngineContext, FrontendRef } from '../../engine/context.js';
import type { ConnHandler, ServerRuntime } from '../../engine/server.js';
import type { BodyWalker } from '../../http/framing.js';
import type { RequestHead, ResponseHead } from '../../http/head.js';
import type { RuleInput } from '../../http/rules.js';
import type { Termination } from '../../observe/termination.js';
import type { Pacer } from '../relay.js';

export const EMPTY = Buffer.alloc(0);

/** Where an exchange is, for its termination state: in the queue, connecting, waiting for headers, in data. */
export type Phase = 'Q' | 'C' | 'H' | 'D';

export interface Exchange extends Connecting {
  head: RequestHead;
  start: number;
  Tq: number;
  Tw: number;
  Tc: number;
  Tr: number;
  keepAlive: boolean;
  reqWalker: BodyWalker;
  /** body bytes that arrived with the head */
  bodyStart: Buffer;
  backend: BackendRuntime | undefined;
  server: ServerRuntime | undefined;
  conn: Socket | undefined;
  reused: boolean;
  retries: number;
  /** some request bytes beyond a reused connection's first write reached the server */
  bytesToServer: number;
  respStarted: boolean;
  respWalker: BodyWalker | undefined;
  decodeChunked: boolean;
  serverReusable: boolean;
  bytesOut: number;
  status: number | undefined;
  finished: boolean;
  phase: Phase;
  /** a WebSocket upgrade request: its Upgrade header value */
  upgrade: string | undefined;
  /** the client's persistence cookie named the server that took the request */
  cookieHeld: boolean | undefined;
  /** response bytes until the head is complete, and when the request was sent */
  rbuf: Buffer;
  sentAt: number;
  /** the response head, written with the first body bytes once the connection header is known */
  pendingHead: ResponseHead | undefined;
  /**
   * The head exactly as received, when nothing in it needs rewriting (no hop-by-hop header, no rule, no cookie,
   * no added header): forwarded byte for byte, as a slice of the buffer it arrived in.
   */
  rawHead: Buffer | undefined;
  /** the same for the response head: it goes out as the server sent it */
  rawResponse: boolean;
  /** backpressure and turns for a response body that takes more than one read (made then) */
  pacer: Pacer | undefined;
  /** http-server-close / httpclose: the server connection closes after this exchange */
  closeServer: boolean;
  /** the access log's: request head bytes, request counter (%rt), queue position (%bq), captures, unique id */
  headLen: number;
  counter: number;
  queuePos: number;
  reqCaptures: string[] | undefined;
  resCaptures: string[] | undefined;
  uniqueId: string | undefined;
}

/** A new exchange. Every field from the start: one object shape for every exchange keeps property access fast. */
export function newExchange(c: HttpConn, head: RequestHead, start: number, now: number, keepAlive: boolean, reqWalker: BodyWalker, bodyStart: Buffer): Exchange {
  const x: Exchange = {
    head,
    start,
    Tq: now - start,
    Tw: -1,
    Tc: -1,
    Tr: -1,
    keepAlive,
    reqWalker,
    bodyStart,
    reused: false,
    retries: 0,
    bytesToServer: 0,
    respStarted: false,
    decodeChunked: false,
    serverReusable: false,
    bytesOut: 0,
    finished: false,
    phase: 'Q',
    abort: () => c.abortExchange(x),
    activeSlot: -1,
    backend: undefined,
    server: undefined,
    conn: undefined,
    respWalker: undefined,
    status: undefined,
    upgrade: undefined,
    cookieHeld: undefined,
    pendingHead: undefined,
    rawHead: undefined,
    rawResponse: false,
    rbuf: EMPTY,
    sentAt: 0,
    pacer: undefined,
    closeServer: false,
    headLen: 0,
    counter: 0,
    queuePos: 0,
    reqCaptures: undefined,
    resCaptures: undefined,
    uniqueId: undefined,
  };
  return x;
}

/** The states of a client connection: between requests, reading a head, serving one, tunnelling, over. */
export type ConnState = 'idle' | 'head' | 'busy' | 'tunnel' | 'closed';

/**
 * The client connection as the concern modules see it: its socket, frontend, what it has read, the exchange
 * in progress, and the life-cycle steps the session implements (session.ts).
 */
export interface HttpConn {
  readonly sock: Socket;
  readonly fe: FrontendRef;
  readonly ctx: EngineContext;
  /** the client's address, as logged and forwarded */
  readonly client: string;
  /** the client connection is TLS (a bind with ssl) */
  readonly tls: boolean;
  /** bytes read and not yet consumed: a head in progress, or pipelined requests */
  buf: Buffer;
  /** how much of `buf` was already searched for the end of a head */
  scanned: number;
  state: ConnState;
  /** requests read on this connection */
  requests: number;
  /** when the current request began (its first byte, or the end of the previous exchange) */
  reqStart: number;
  /** when the connection was accepted, or the previous exchange ended (HAProxy's stream start: %t, %Ti) */
  idleSince: number;
  clientEnded: boolean;
  /** the exchange in progress */
  x: Exchange | undefined;
  /** the handler of the server connection the current exchange uses (one object per session) */
  readonly serverEvents: ConnHandler;

  /** The exchange ended (normally, or with a response the proxy wrote): log it, then the next request or close. */
  complete(x: Exchange, term?: Termination, now?: number): void;
  /** Cut the exchange and the client connection. */
  kill(x: Exchange, term: Termination): void;
  abortExchange(x: Exchange): void;
  close(graceful: boolean): void;
  /** A bug costs one connection, never the process. */
  internalError(err: unknown): void;
  /** Run `fn` under internalError (callbacks of promises and timers). */
  guard(fn: () => void): void;
  stopTimers(): void;
}

/** The client has closed its side and sent no further request: this exchange is its last. */
export function lastExchange(c: HttpConn): boolean {
  return c.clientEnded && c.buf.length === 0;
}

/** What routing and header rules see; header actions edit the request's own header list. */
export function ruleInput(c: HttpConn, x: Exchange): RuleInput {
  return { method: x.head.method, uri: x.head.uri, headers: x.head.headers, src: c.client, dstPort: c.sock.localPort ?? 0, scheme: c.tls ? 'https' : 'http' };
}
