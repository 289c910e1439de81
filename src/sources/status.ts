// What a member source reports for its metrics (sources/metrics.ts).
/** How a source is doing, for its metrics: its members now, whether its last query was answered, failures so far. */
export interface SourceStatus {
  source: 'consul' | 'dns';
  /** Consul's address, or the SRV name */
  name: string;
  members: number;
  up: boolean;
  failures: number;
}
