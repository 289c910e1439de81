// One blocking query kept open, as Consul's docs ask clients to run it (api-docs/features/blocking): send the last
// X-Consul-Index as `index` with a `wait`; reset to 0 when the index goes backwards; never block on an index below
// 1; rate-limit the loop with a token bucket (burst 2) so a churning result degrades to polling, not a busy loop.
// A failed query (refused, 403, 500, no answer) is retried with a growing pause; the last good answer stays.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsulClient } from './api.js';

/** The index to send next, from the one sent and the one answered (Consul's three rules). */
export function nextIndex(sent: number, answered: number | undefined): number {
  if (answered === undefined) return 0; // no index: nothing to block on, ask afresh (the rate limit bounds it)
  if (answered < sent) return 0; // went backwards (a snapshot restore, a leader change): restart the loop
  return Math.max(answered, 1);
}

/** Timeout of a blocking request: Consul may add up to wait/16 of jitter; give the network a margin beyond. */
export function requestTimeout(waitMs: number): number {
  return waitMs + Math.ceil(waitMs / 16) + 5000;
}

/** Token bucket: `burst` queries at once, then one per `everyMs`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly burst: number, private readonly everyMs: number, private readonly now = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /** ms to wait before the next query may go (0: now); takes the token. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.everyMs);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((1 - this.tokens) * this.everyMs);
    this.tokens = 0;
    this.last = t + wait;
    return wait;
  }
}

export interface WatchOptions {
  client: ConsulClient;
  path: string;
  query: Record<string, string>;
  waitMs: number;
  retryMs: number;
  /** least time between two queries once the burst is spent */
  minIntervalMs: number;
  /** a good answer (maybe unchanged: a blocking query may return on its wait) */
  onAnswer(body: unknown): void;
  /** a query failed; `news` says it is the first since the last good answer, or fails for another reason */
  onFailure(why: string, news: boolean): void;
  /** a good answer after failures */
  onRecovery(failures: number): void;
}

export class BlockingWatch {
  private index = 0;
  private failures = 0;
  /** failed queries since the start (the metrics' counter) */
  failuresTotal = 0;
  private lastWhy = '';
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly bucket: TokenBucket;

  constructor(private readonly o: WatchOptions) {
    this.bucket = new TokenBucket(2, o.minIntervalMs);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** The last query failed (the last known answer stands). */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** The index the next query will send (for tests and logs). */
  get lastIndex(): number {
    return this.index;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const pause = this.bucket.take();
      if (pause > 0 && !(await this.sleep(pause))) return;
      const blocking = this.index > 0;
      const query = blocking ? { ...this.o.query, index: String(this.index), wait: `${Math.ceil(this.o.waitMs / 1000)}s` } : this.o.query;
      const r = await this.o.client.get(this.o.path, query, blocking ? requestTimeout(this.o.waitMs) : requestTimeout(0), signal);
      if (signal.aborted) return;
      if (!r.ok) {
        this.failures++;
        this.failuresTotal++;
        this.index = 0; // after a failure ask afresh: the answer must not wait on an index from before
        this.o.onFailure(r.why, this.failures === 1 || r.why !== this.lastWhy);
        this.lastWhy = r.why;
        const backoff = Math.min(this.o.retryMs * 2 ** Math.min(this.failures - 1, 10), Math.max(this.o.retryMs, 15_000));
        if (!(await this.sleep(backoff))) return;
        continue;
      }
      if (this.failures > 0) this.o.onRecovery(this.failures);
      this.failures = 0;
      this.index = nextIndex(this.index, r.index);
      this.o.onAnswer(r.body);
    }
  }

  private async sleep(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }
}
