// One Prometheus registry per process (balancer or agent): prom-client's process metrics, and the families each
// part adds, refilled once per scrape from the stats that part already keeps (nothing on the hot path).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { BucketHistogram, type BucketSeries } from './histogram.js';

type Labels<L extends string> = Partial<Record<L, string | number>>;

/** A family whose series are set from scratch at each scrape. */
export interface Family<L extends string> {
  set(labels: Labels<L>, value: number): void;
}

export class MetricsHub {
  readonly registry = new Registry();
  private readonly refreshers: (() => void | Promise<void>)[] = [];
  private readonly families: { reset(): void }[] = [];

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Run before each scrape: read the counters once into the families' series. */
  onScrape(fn: () => void | Promise<void>): void {
    this.refreshers.push(fn);
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Family<L> {
    const g = new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
    this.families.push(g);
    return { set: (labels, v) => g.set(labels, v) };
  }

  /** A counter read from a running total: exposed as Prometheus' counter type (a drop reads as a reset). */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Family<L> {
    const c = new Counter<L>({ name, help, labelNames, registers: [this.registry] });
    this.families.push(c);
    return { set: (labels, v) => c.inc(labels, Math.max(0, v)) };
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], boundsMs: readonly number[], read: () => Iterable<BucketSeries<L>>): void {
    new BucketHistogram<L>({ name, help, labelNames, boundsMs, registry: this.registry, read });
  }

  async text(): Promise<string> {
    for (const f of this.families) f.reset();
    for (const fn of this.refreshers) await fn();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
