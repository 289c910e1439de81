// The gossip node's Prometheus families (lbagent_gossip_*), read at each scrape from the plain counters that
// memberlist and serf keep (the gossip part has no metrics library). The README's table names the go-metrics
// keys of hashicorp's memberlist and serf that each one corresponds to.
import type { SerfStats } from '../gossip/index.js';
import type { MetricsHub } from './registry.js';

export function registerGossipMetrics(hub: MetricsHub, stats: () => SerfStats | undefined): void {
  const members = hub.gauge('lbagent_gossip_members', 'Members known to this node, by status (serf members)', ['status']);
  const packets = hub.counter('lbagent_gossip_packets_total', 'UDP packets sent and received', ['direction']);
  const bytes = hub.counter('lbagent_gossip_bytes_total', 'Bytes sent and received, by transport (udp packets, tcp streams)', ['direction', 'transport']);
  const streams = hub.counter('lbagent_gossip_streams_total', 'TCP streams opened (out) and accepted (in): push/pull, TCP pings, reliable messages', ['direction']);
  const dropped = hub.counter('lbagent_gossip_dropped_total', 'Input dropped, by layer and reason (malformed, decrypt, invalid node name...)', ['layer', 'reason']);
  const probes = hub.counter('lbagent_gossip_probes_total', 'Failure-detector probes, by result (ok: acked; failed: ended in a suspicion)', ['result']);
  const suspicions = hub.counter('lbagent_gossip_suspicions_total', 'Members this node marked suspect', []);
  const events = hub.counter('lbagent_gossip_user_events_total', 'User events sent by this node and new ones received', ['direction']);
  const queries = hub.counter('lbagent_gossip_queries_total', 'Queries sent by this node and new ones received', ['direction']);
  const health = hub.gauge('lbagent_gossip_health_score', "Lifeguard's local health score (0 is healthy; higher stretches this node's timers)", []);
  const clock = hub.gauge('lbagent_gossip_lamport_time', "serf's Lamport clocks", ['clock']);
  let last: SerfStats | undefined;
  hub.histogram('lbagent_gossip_probe_rtt_seconds', 'Round trip of answered probes', [], [], function* () {
    if (last) yield { labels: {}, buckets: last.memberlist.probeRtt, boundsMs: last.memberlist.probeRtt.boundsMs };
  });
  hub.onScrape(() => {
    const s = stats();
    last = s;
    if (!s) return;
    const m = s.memberlist;
    for (const [status, n] of Object.entries(s.membersByStatus)) members.set({ status }, n);
    packets.set({ direction: 'out' }, m.packetsSent);
    packets.set({ direction: 'in' }, m.packetsReceived);
    bytes.set({ direction: 'out', transport: 'udp' }, m.packetBytesSent);
    bytes.set({ direction: 'in', transport: 'udp' }, m.packetBytesReceived);
    bytes.set({ direction: 'out', transport: 'tcp' }, m.streamBytesSent);
    bytes.set({ direction: 'in', transport: 'tcp' }, m.streamBytesReceived);
    streams.set({ direction: 'out' }, m.streamsOpened);
    streams.set({ direction: 'in' }, m.streamsAccepted);
    // The usual reasons at 0 from the start, so a first drop shows in rate() and panels have a series.
    for (const [reason, n] of Object.entries({ malformed: 0, decrypt: 0, ...m.dropReasons })) dropped.set({ layer: 'memberlist', reason }, n);
    for (const [reason, n] of Object.entries(s.serfDropReasons)) dropped.set({ layer: 'serf', reason }, n);
    probes.set({ result: 'ok' }, m.probes - m.probesFailed);
    probes.set({ result: 'failed' }, m.probesFailed);
    suspicions.set({}, m.suspicions);
    events.set({ direction: 'out' }, s.eventsSent);
    events.set({ direction: 'in' }, s.eventsReceived);
    queries.set({ direction: 'out' }, s.queriesSent);
    queries.set({ direction: 'in' }, s.queriesReceived);
    health.set({}, s.healthScore);
    clock.set({ clock: 'member' }, s.memberTime);
    clock.set({ clock: 'event' }, s.eventTime);
    clock.set({ clock: 'query' }, s.queryTime);
  });
}
