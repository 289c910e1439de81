// serf's queries (query.go, serf.go Query/handleQuery, internal_query.go): a query is broadcast like an event,
// each member that passes its filters acks and answers straight to the asker; the asker collects until the
// timeout. Queries named _serf_* are serf's own: the key operations of `serf keys`.
import { randomInt } from 'node:crypto';
import type { QueryOptions } from './api.js';
import type { SerfCore } from './core.js';
import { compileFilterRegex } from './filter-regex.js';
import { applyKeyRequest, keyRequest, keyResponse, summarize, type KeyOp, type KeyOpResult } from './keys.js';
import type { Members } from './members.js';
import { encodeQuery, encodeQueryResponse, filtersMatch, nodeFilter, tagFilter, QUERY_FLAG_ACK, QUERY_FLAG_NO_BROADCAST, type QueryMsg } from './messages.js';

const QUERY_SIZE_LIMIT = 1024;
const QUERY_RESPONSE_SIZE_LIMIT = 1024;
const QUERY_TIMEOUT_MULT = 16;

interface ResponseCollector {
  collect(from: string, payload: Buffer, ack: boolean): void;
}

export class Queries {
  /** ring buffer by LTime of the query ids seen: a query is taken once */
  private readonly buffer: ({ ltime: number; ids: number[] } | null)[];
  private readonly collectors = new Map<number, ResponseCollector>();
  /** queries older than this are history (a restored snapshot) */
  minTime = 0;

  constructor(private readonly c: SerfCore, private readonly members: Members) {
    this.buffer = new Array(c.cfg.queryBuffer ?? 512).fill(null);
  }

  /** A response or ack to one of our queries. */
  onResponse(id: number, from: string, payload: Buffer, ack: boolean): void {
    this.collectors.get(id)?.collect(from, payload, ack);
  }

  /** A user message to an address (query responses, relays): a known member's entry, or one shaped like ours. */
  sendToAddress(addr: string, port: number, msg: Buffer): void {
    const { ml } = this.c;
    const known = ml.members().find((n) => n.addr === addr && n.port === port);
    ml.sendBestEffort(known ?? { ...ml.localNode(), name: `${addr}:${port}`, addr, port }, msg);
  }

  private defaultTimeout(): number {
    const { cfg } = this.c;
    const gossip = cfg.memberlist?.gossipIntervalMs ?? (cfg.profile === 'wan' ? 500 : cfg.profile === 'local' ? 100 : 200);
    return gossip * QUERY_TIMEOUT_MULT * Math.ceil(Math.log10(this.members.records.size + 1));
  }

  /** A query, ours or a peer's (`raw`: as it came, to rebroadcast as is). */
  handle(q: QueryMsg, raw: Buffer): void {
    const { c } = this;
    c.queryClock.witness(q.ltime);
    if (q.ltime < this.minTime) return;
    const size = this.buffer.length;
    const idx = q.ltime % size;
    let slot = this.buffer[idx];
    if (slot && slot.ltime === q.ltime) {
      if (slot.ids.includes(q.id)) return;
    } else {
      slot = { ltime: q.ltime, ids: [] };
      this.buffer[idx] = slot;
    }
    slot.ids.push(q.id);
    c.snapshot?.query(q.ltime);
    c.counts.queriesNew++;
    if ((q.flags & QUERY_FLAG_NO_BROADCAST) === 0) c.queryQueue.queue({ message: raw, unique: true });
    let matches = false;
    try {
      matches = filtersMatch(q.filters, { name: c.name, tags: c.tags }, (msg) => c.log?.warn(msg));
    } catch {
      c.drop('malformed query filter');
    }
    if (!matches) return;
    const reply = (flags: number, payload: Buffer) =>
      this.sendToAddress(q.addr, q.port, encodeQueryResponse({ ltime: q.ltime, id: q.id, from: c.name, flags, payload }));
    if (q.flags & QUERY_FLAG_ACK) reply(QUERY_FLAG_ACK, Buffer.alloc(0));
    if (q.name.startsWith('_serf_')) return this.internalQuery(q, (p) => reply(0, p));
    const deadline = Date.now() + q.timeoutNs / 1e6;
    let responded = false;
    c.deliver({
      type: 'query',
      name: q.name,
      payload: q.payload,
      ltime: q.ltime,
      id: q.id,
      respond: async (payload: Buffer) => {
        if (responded) throw new Error('response already sent');
        if (Date.now() > deadline) throw new Error('response is past the deadline');
        if (payload.length > QUERY_RESPONSE_SIZE_LIMIT) throw new Error(`response exceeds limit of ${QUERY_RESPONSE_SIZE_LIMIT} bytes`);
        responded = true;
        reply(0, payload);
      },
    });
  }

  /** serf's internal queries: answer what we can, never break on the rest. */
  private internalQuery(q: QueryMsg, respond: (p: Buffer) => void): void {
    const op = /^_serf_(install|use|remove|list)-keys?$/.exec(q.name)?.[1] as KeyOp | undefined;
    if (!op) return; // _serf_ping and others: nothing to say
    const ring = this.c.ml.keyring();
    const { result, message } = applyKeyRequest(ring, op, q.payload);
    if (op !== 'list') this.c.log?.info(`serf: ${op} key query from ${q.sourceNode}: ${result ? 'done' : message}`);
    respond(keyResponse(ring, result, message));
  }

  /** `serf keys`: change (or list) the keyring of every alive member, and sum up their answers. */
  async keyOp(op: KeyOp, key?: string): Promise<KeyOpResult> {
    let payload: Buffer = Buffer.alloc(0);
    if (op !== 'list') {
      if (!this.c.ml.keyring().keys().length) throw new Error('No keyring to modify (encryption not enabled)');
      const raw = Buffer.from(key ?? '', 'base64');
      if (![16, 24, 32].includes(raw.length)) throw new Error(`key must be 16, 24 or 32 bytes base64-encoded, got ${raw.length} bytes`);
      payload = keyRequest(raw);
    }
    const alive = this.members.countAlive();
    const responses = await this.query(`_serf_${op}-key${op === 'list' ? 's' : ''}`, payload, { expect: alive });
    return summarize(alive, responses);
  }

  async query(name: string, payload: Buffer, opts: QueryOptions = {}): Promise<Array<{ from: string; payload: Buffer }>> {
    const { c } = this;
    // Whole nanoseconds on the wire (Go's time.Duration), and a wait setTimeout can hold (≤ 2^31-1 ms).
    const timeoutMs = Math.min(Math.max(1, Math.round(opts.timeoutMs ?? this.defaultTimeout())), 2 ** 31 - 1);
    // A bad expression is the caller's error, not every member's: each would refuse the query (see filtersMatch).
    for (const expr of Object.values(opts.filterTags ?? {})) compileFilterRegex(expr);
    const filters = [
      ...(opts.filterNodes?.length ? [nodeFilter(opts.filterNodes)] : []),
      ...Object.entries(opts.filterTags ?? {}).map(([tag, expr]) => tagFilter(tag, expr)),
    ];
    const me = c.ml.localNode();
    const q: QueryMsg = {
      ltime: c.queryClock.time(), id: randomInt(2 ** 31), addr: me.addr, port: me.port, sourceNode: me.name, filters,
      flags: opts.requestAck ? QUERY_FLAG_ACK : 0, relayFactor: 0, timeoutNs: timeoutMs * 1e6, name, payload,
    };
    c.queryClock.increment();
    const raw = encodeQuery(q);
    if (raw.length > QUERY_SIZE_LIMIT) throw new Error(`query exceeds limit of ${QUERY_SIZE_LIMIT} bytes`);
    c.counts.queriesSent++;
    const responses: Array<{ from: string; payload: Buffer }> = [];
    const acked = new Set<string>();
    const answered = new Set<string>();
    let allIn: () => void = () => {};
    const done = new Promise<void>((r) => (allIn = r));
    this.collectors.set(q.id, {
      collect: (from, p, ack) => {
        if (ack) {
          if (acked.has(from)) return;
          acked.add(from);
          return opts.onAck?.(from);
        }
        if (answered.has(from)) return;
        answered.add(from);
        responses.push({ from, payload: p });
        opts.onResponse?.(from, p);
        if (opts.expect !== undefined && responses.length >= opts.expect) allIn();
      },
    });
    opts.onDispatched?.();
    this.handle(q, raw);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutMs)).unref())]);
    clearTimeout(timer);
    this.collectors.delete(q.id);
    return responses;
  }
}
