// The agent's HTTP+JSON RPC as a table of routes (the kit in src/http-api/ reads bodies, checks auth, answers
// errors as {error, code}). Every endpoint is documented in the README.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { route, startNdjson, TextAnswer, type Route } from '../http-api/index.js';
import { errorMessage, RpcEvent, RpcEventFilter, RpcForceLeave, RpcJoin, RpcKeys, RpcLogLevel, RpcMemberFilter, RpcQuery, RpcTags } from '../errors/index.js';
import type { SerfMember } from '../gossip/index.js';
import { FilterRegex, isLbaError } from '../errors/index.js';
import { formatLogLine, monitorLevel } from '../log/index.js';
import { DropGate } from './drop-gate.js';
import { filterMatches, parseHandlerSpec } from './handlers.js';
import { filterMembers } from './member-filter.js';
import { memberJson, type RpcTarget } from './rpc-target.js';

/** An RPC body is a JSON object; none at all reads as {}. */
const body = <S extends z.ZodRawShape>(shape: S) => z.preprocess((v) => v ?? {}, z.object(shape));
const name = z.string({ error: 'must be a string' }).min(1, 'must not be empty');
const names = (what: string) => z.array(z.string(), { error: `must be a list of ${what}` });
const stringMap = (what: string) => z.record(z.string(), z.string(), { error: `must map tag names to ${what}` });

const joinBody = body({ addrs: names('addresses').min(1, 'must be a non-empty list of addresses'), replay: z.boolean().optional() });
const forceLeaveBody = body({ node: name, prune: z.boolean().optional() });
const eventBody = body({ name, payload: z.string().optional(), payloadBase64: z.string().optional(), coalesce: z.boolean().optional() });
const tagsBody = body({ set: stringMap('strings').optional(), delete: names('tag names').optional() });
const keyBody = body({ key: z.string({ error: 'must be a string' }) });
const queryBody = body({
  name,
  payload: z.string().optional(),
  payloadBase64: z.string().optional(),
  nodes: names('node names').optional(),
  tags: stringMap('regular expressions').optional(),
  ack: z.boolean().optional(),
  timeoutMs: z.number({ error: 'must be a positive number' }).positive('must be a positive number').optional(),
});

/** Runs `fn`, turning its failure into the route's coded error (the agent's message kept as the detail). */
async function as<T>(Coded: new (reason: string) => Error, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Coded(errorMessage(err));
  }
}

export function httpRpcRoutes(t: RpcTarget, log: Logger): Route[] {
  return [
    route({ method: 'GET', path: '/v1/info', handler: () => ({ ...t.info(), stats: t.stats() }) }),
    route({ method: 'GET', path: '/v1/members', handler: ({ query }) => members(t, query) }),
    route({
      method: 'POST',
      path: '/v1/join',
      body: joinBody,
      handler: async ({ body }) => ({ num: await as(RpcJoin, () => t.join(body.addrs, body.replay === true)) }),
    }),
    route({
      method: 'POST',
      path: '/v1/leave',
      handler: () => {
        // Answered first: leaving ends the process.
        setImmediate(() => void t.leave());
        return {};
      },
    }),
    route({
      method: 'POST',
      path: '/v1/force-leave',
      body: forceLeaveBody,
      handler: async ({ body }) => (await as(RpcForceLeave, () => t.forceLeave(body.node, body.prune === true)), {}),
    }),
    route({
      method: 'POST',
      path: '/v1/event',
      body: eventBody,
      handler: async ({ body }) => {
        let payload: Buffer;
        if (body.payloadBase64 !== undefined) payload = Buffer.from(body.payloadBase64, 'base64');
        else if (body.payload !== undefined) payload = Buffer.from(body.payload);
        else if (body.name === 'pause' || body.name === 'resume') payload = Buffer.from(t.maintenancePayload());
        else payload = Buffer.alloc(0);
        await as(RpcEvent, () => t.userEvent(body.name, payload, body.coalesce !== false));
        return { name: body.name, payload: payload.toString() };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tags',
      body: tagsBody,
      handler: async ({ body }) => (await as(RpcTags, () => t.setTags(body.set ?? {}, body.delete ?? [])), { tags: t.info().tags }),
    }),
    route({ method: 'GET', path: '/v1/stats', handler: () => t.stats() }),
    // Prometheus' scrape (with --rpc-auth, its bearer token like every route: `authorization` in the scrape config)
    ...(t.metrics ? [route({ method: 'GET', path: '/metrics', handler: async () => ((m) => new TextAnswer(m.text, m.contentType))(await t.metrics!()) })] : []),
    // Cluster-wide, as `serf keys`: the answer counts nodes, responses and errors (200 even when some failed,
    // as serf reports per node); 400 when the request itself is refused (no encryption, bad key).
    route({ method: 'GET', path: '/v1/keys', handler: () => as(RpcKeys, () => t.keyOp('list')) }),
    ...(['install', 'use', 'remove'] as const).map((op) =>
      route({ method: 'POST', path: `/v1/keys/${op}`, body: keyBody, handler: ({ body }) => as(RpcKeys, () => t.keyOp(op, body.key)) }),
    ),
    route({ method: 'GET', path: '/v1/stream', handler: ({ query, req, res }) => stream(t, log, query, req, res) }),
    route({ method: 'POST', path: '/v1/query', body: queryBody, handler: ({ body, res }) => runQuery(t, body, res) }),
    route({ method: 'GET', path: '/v1/monitor', handler: ({ query, req, res }) => monitor(t, log, query, req, res) }),
  ];
}

/** `?status=alive&tag=role=web&name=REGEXP&verbose=true`: tag values and name are unanchored RE2 regexps. */
function members(t: RpcTarget, query: URLSearchParams) {
  const tags: Record<string, string> = {};
  for (const kv of query.getAll('tag')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new RpcMemberFilter(`tag '${kv}' is not key=value`);
    tags[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  let list: SerfMember[];
  try {
    list = filterMembers(t.members(), { status: query.get('status') ?? undefined, name: query.get('name') ?? undefined, tags });
  } catch (err) {
    // A pattern RE2 refuses (look-around, back-references, too large) is the client's error.
    if (isLbaError(err, FilterRegex)) throw new RpcMemberFilter(err.message);
    throw err;
  }
  const verbose = query.get('verbose') === 'true';
  return list.map((m) => memberJson(m, verbose));
}

/**
 * `serf query` as NDJSON: {type:'ack',from}, {type:'response',from,payload} as they arrive, then
 * {type:'done',acks,responses} at the timeout. A query refused before it went out is a plain 400.
 */
async function runQuery(t: RpcTarget, body: z.output<typeof queryBody>, res: ServerResponse): Promise<undefined> {
  const payload = body.payloadBase64 !== undefined ? Buffer.from(body.payloadBase64, 'base64') : Buffer.from(body.payload ?? '');
  let acks = 0;
  let responses = 0;
  const line = (o: object) => res.write(`${JSON.stringify(o)}\n`);
  try {
    await t.query(body.name, payload, {
      filterNodes: body.nodes ?? [],
      filterTags: body.tags ?? {},
      requestAck: body.ack !== false,
      timeoutMs: body.timeoutMs,
      onDispatched: () => {
        startNdjson(res);
        line({ type: 'dispatched', name: body.name });
      },
      onAck: (from) => (acks++, line({ type: 'ack', from })),
      onResponse: (from, p) => (responses++, line({ type: 'response', from, payload: p.toString('utf8'), payloadBase64: p.toString('base64') })),
    });
  } catch (err) {
    if (!res.headersSent) throw new RpcQuery(errorMessage(err));
  }
  line({ type: 'done', acks, responses });
  res.end();
  return undefined;
}

/** `serf monitor` as NDJSON: {line} in serf's log format, the kept lines first (?level=debug|info|warn|err). */
function monitor(t: RpcTarget, log: Logger, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): undefined {
  const level = query.get('level') ?? 'info';
  const min = monitorLevel(level);
  if (min === undefined) throw new RpcLogLevel(level);
  startNdjson(res);
  res.write('\n');
  const gate = new DropGate(() => res.writableLength, () => log.warn(`agent.ipc: Dropping logs to ${clientOf(req)}`));
  const unsubscribe = t.monitor(min, (e) => {
    if (gate.pass()) res.write(`${JSON.stringify({ line: formatLogLine(e) })}\n`);
  });
  req.on('close', unsubscribe);
  return undefined;
}

/** NDJSON stream of events, filtered with the event-handler filter syntax (?filter=member-join,user:deploy). */
function stream(t: RpcTarget, log: Logger, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): undefined {
  const spec = parseHandlerSpec(`${query.get('filter') ?? '*'}=stream`);
  if ('error' in spec) throw new RpcEventFilter(spec.error);
  startNdjson(res);
  res.write('\n');
  const gate = new DropGate(() => res.writableLength, () => log.error(`agent.ipc: Dropping events to ${clientOf(req)}`));
  const unsubscribe = t.subscribe((e) => {
    if (!filterMatches(spec.filters, e) || !gate.pass()) return;
    const line =
      e.type === 'user' || e.type === 'query'
        ? { event: e.type, name: e.name, ltime: e.ltime, payload: e.payload.toString('base64') }
        : { event: e.type, members: e.members.map((m) => memberJson(m)) };
    res.write(`${JSON.stringify(line)}\n`);
  });
  req.on('close', unsubscribe);
  return undefined;
}

function clientOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}
