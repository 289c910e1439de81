// The member sources' Prometheus families (lbagent_source_*), read from each source's status at each scrape:
// whether Consul or a name server answers, how many members it gives, how often it failed.
import type { MetricsHub } from '../metrics/index.js';
import type { RunningSource } from './start.js';

export function registerSourceMetrics(hub: MetricsHub, sources: readonly RunningSource[]): void {
  if (sources.length === 0) return;
  const labels = ['source', 'name'] as const;
  const up = hub.gauge('lbagent_source_up', 'Whether the source\'s last query was answered (0: its last known members stand)', labels);
  const members = hub.gauge('lbagent_source_members', 'Members the source gives now', labels);
  const failures = hub.counter('lbagent_source_failures_total', 'Queries to the source that failed (Consul: refused, 5xx, 403, timeout; DNS: timeout, SERVFAIL, refused)', labels);
  hub.onScrape(() => {
    for (const s of sources) {
      const st = s.status();
      const l = { source: st.source, name: st.name };
      up.set(l, st.up ? 1 : 0);
      members.set(l, st.members);
      failures.set(l, st.failures);
    }
  });
}
