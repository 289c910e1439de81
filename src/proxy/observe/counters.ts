// The traffic counters the engine and the sessions bump and every observer reads (stats, metrics, the stats
// page, the workers' sums): plain fields, no behaviour beyond counting, so they sit below everything that counts.
import { RateCounter } from './rate.js';

export class FrontendStats {
  current = 0;
  max = 0;
  total = 0;
  requests = 0;
  /** sessions and HTTP requests per second (HAProxy's rate and req_rate) */
  readonly sessionRate = new RateCounter();
  readonly requestRate = new RateCounter();
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  errors = 0;
  /** responses by class: 1xx..5xx, "other" */
  readonly statuses = new StatusCounts();

  countStatus(code: number): void {
    this.statuses.count(code);
  }
}

/** HTTP responses by class, as HAProxy's hrsp_1xx..hrsp_5xx and hrsp_other. */
export class StatusCounts {
  '1xx' = 0;
  '2xx' = 0;
  '3xx' = 0;
  '4xx' = 0;
  '5xx' = 0;
  other = 0;

  count(code: number): void {
    if (code < 100 || code >= 600) this.other++;
    else if (code < 200) this['1xx']++;
    else if (code < 300) this['2xx']++;
    else if (code < 400) this['3xx']++;
    else if (code < 500) this['4xx']++;
    else this['5xx']++;
  }
}
