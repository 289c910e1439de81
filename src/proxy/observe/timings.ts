// Latency distributions of a backend (and, with `metrics.server_histograms`, of a server), HAProxy's timers in
// buckets: Tw (queue), Tc (connect), Tr (response head), Tt (the whole request, or TCP session). Recorded once
// per request when it ends; exposed by /metrics as histograms in seconds. A timer of a phase never reached (-1)
// is not recorded, as HAProxy leaves such requests out of its averages.
import { Buckets, type BucketCounts } from '../../metrics/index.js';

export interface TimingCounts {
  queue: BucketCounts;
  connect: BucketCounts;
  response: BucketCounts;
  total: BucketCounts;
}

export class Timings {
  readonly queue = new Buckets();
  readonly connect = new Buckets();
  readonly response = new Buckets();
  readonly total = new Buckets();

  record(Tw: number, Tc: number, Tr: number, Tt: number): void {
    if (Tw >= 0) this.queue.record(Tw);
    if (Tc >= 0) this.connect.record(Tc);
    if (Tr >= 0) this.response.record(Tr);
    if (Tt >= 0) this.total.record(Tt);
  }

  toJSON(): TimingCounts {
    return { queue: this.queue.toJSON(), connect: this.connect.toJSON(), response: this.response.toJSON(), total: this.total.toJSON() };
  }

  absorb(c: TimingCounts): void {
    this.queue.absorb(c.queue);
    this.connect.absorb(c.connect);
    this.response.absorb(c.response);
    this.total.absorb(c.total);
  }
}

interface Timed {
  readonly def: { histograms: 'off' | 'backend' | 'server' };
  readonly timings: Timings;
}

/** A request (or TCP session) ended: into its backend's histograms, and its server's when those are kept. */
export function recordTimings(backend: Timed | undefined, server: { timings: Timings } | undefined, Tw: number, Tc: number, Tr: number, Tt: number): void {
  if (!backend) return;
  const mode = backend.def.histograms;
  if (mode === 'off') return;
  backend.timings.record(Tw, Tc, Tr, Tt);
  if (mode === 'server' && server) server.timings.record(Tw, Tc, Tr, Tt);
}
