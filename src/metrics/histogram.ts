// A prom-client histogram whose series are read at scrape time from plain bucket counts (buckets.ts) kept by the
// code that measures: prom-client formats and names it (`_bucket{le}`, `_sum`, `_count`), nothing is observed
// through it. Durations are kept in ms and exposed in seconds, as Prometheus' conventions ask.
import { Histogram, type Registry } from 'prom-client';
import type { BucketCounts } from './buckets.js';

type Exported<L extends string> = Awaited<ReturnType<Histogram<L>['get']>>;
type Value<L extends string> = Exported<L>['values'][number];
type LabelValues<L extends string> = Partial<Record<L, string | number>>;

export interface BucketSeries<L extends string> {
  labels: LabelValues<L>;
  buckets: BucketCounts;
  /** the upper bounds these counts were kept with (ms), when not the histogram's own */
  boundsMs?: readonly number[];
}

export interface BucketHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** upper bounds in ms, those the counts were kept with */
  boundsMs: readonly number[];
  registry: Registry;
  read: () => Iterable<BucketSeries<L>>;
}

export class BucketHistogram<L extends string> extends Histogram<L> {
  private readonly read: () => Iterable<BucketSeries<L>>;
  private readonly boundsS: number[];
  private readonly id: { name: string; help: string };

  constructor(o: BucketHistogramOptions<L>) {
    const boundsS = o.boundsMs.map((b) => b / 1000);
    super({ name: o.name, help: o.help, labelNames: o.labelNames, buckets: boundsS, registers: [o.registry] });
    this.read = o.read;
    this.boundsS = boundsS;
    this.id = { name: o.name, help: o.help };
  }

  override async get(): Promise<Exported<L>> {
    const { name, help } = this.id;
    const values: Value<L>[] = [];
    for (const { labels, buckets, boundsMs } of this.read()) {
      let acc = 0;
      let total = 0;
      for (const n of buckets.counts) total += n;
      (boundsMs ? boundsMs.map((b) => b / 1000) : this.boundsS).forEach((le, i) => {
        acc += buckets.counts[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le } as Value<L>['labels'], value: acc });
      });
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' } as Value<L>['labels'], value: total });
      values.push({ metricName: `${name}_sum`, labels, value: buckets.sum / 1000 });
      values.push({ metricName: `${name}_count`, labels, value: total });
    }
    return { name, help, type: 'histogram' as unknown as Exported<L>['type'], values, aggregator: 'sum', collect: () => undefined };
  }

  /** prom-client's text output reads this when present. */
  getForPromString(): Promise<Exported<L>> {
    return this.get();
  }
}
