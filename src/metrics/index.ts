// The metrics part's door: a Prometheus registry per process (MetricsHub, on prom-client) with its families
// refilled at each scrape, and plain latency buckets (Buckets) that hot paths record into without prom-client.
export { MetricsHub, type Family } from './registry.js';
export { Buckets, LATENCY_BOUNDS_MS, type BucketCounts } from './buckets.js';
export type { BucketSeries } from './histogram.js';
export { registerGossipMetrics } from './gossip.js';
