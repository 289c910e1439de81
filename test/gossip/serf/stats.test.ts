// What a node counts for /metrics: packets and bytes both ways, streams, probes and their round trips, suspicions,
// user events and queries sent and received, members by status; and the families /metrics makes of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSerf } from '../../../src/gossip/serf/serf.js';
import type { Serf } from '../../../src/gossip/serf/api.js';
import { MetricsHub, registerGossipMetrics } from '../../../src/metrics/index.js';
import { waitFor } from '../../helpers/wait.js';
import { parseScrape } from '../../helpers/prom-text.js';

async function node(t: import('node:test').TestContext, name: string): Promise<Serf> {
  const s = await createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local' });
  t.after(() => s.shutdown());
  return s;
}

test('gossip counters: traffic, probes, RTT, events, queries, suspicions, members by status; as Prometheus families', async (t) => {
  const a = await node(t, 'a');
  const b = await node(t, 'b');
  await b.join([`127.0.0.1:${a.localMember().port}`]);
  await waitFor('a probed b and got acks', () => {
    const m = a.stats().memberlist;
    return m.probes >= 2 && m.probeRtt.counts.reduce((x, y) => x + y, 0) >= 1;
  }, { timeoutMs: 30_000 });
  await b.userEvent('deploy', Buffer.from('v2'), false);
  await waitFor('a received the event', () => a.stats().eventsReceived === 1);
  await a.query('ping', Buffer.from(''), { timeoutMs: 300 });
  await waitFor('b received the query', () => b.stats().queriesReceived === 1);

  const s = a.stats();
  assert.equal(s.eventsSent, 0);
  assert.equal(b.stats().eventsSent, 1);
  assert.equal(s.queriesSent, 1);
  assert.deepEqual(s.membersByStatus, { alive: 2, leaving: 0, left: 0, failed: 0 });
  const m = s.memberlist;
  assert.ok(m.packetsSent > 0 && m.packetBytesSent > m.packetsSent && m.packetBytesReceived > 0);
  assert.ok(m.streamsOpened + m.streamsAccepted >= 1 && m.streamBytesSent > 0 && m.streamBytesReceived > 0, 'the join was a push/pull');
  assert.equal(m.probeRtt.counts.length, m.probeRtt.boundsMs.length + 1);

  // b goes away without a word: a's probes fail, it suspects b, then b is failed.
  await b.shutdown();
  await waitFor('b failed at a', () => a.stats().membersByStatus.failed === 1, { timeoutMs: 30_000 });
  assert.ok(a.stats().memberlist.suspicions >= 1);
  assert.ok(a.stats().memberlist.probesFailed >= 1);

  const hub = new MetricsHub({ processMetrics: false });
  registerGossipMetrics(hub, () => a.stats());
  const x = parseScrape(await hub.text());
  assert.equal(x.value('lbagent_gossip_members', { status: 'failed' }), 1);
  assert.equal(x.value('lbagent_gossip_members', { status: 'alive' }), 1);
  assert.equal(x.value('lbagent_gossip_user_events_total', { direction: 'in' }), 1);
  assert.equal(x.value('lbagent_gossip_queries_total', { direction: 'out' }), 1);
  assert.ok(x.value('lbagent_gossip_probes_total', { result: 'failed' })! >= 1);
  assert.ok(x.value('lbagent_gossip_suspicions_total')! >= 1);
  assert.ok(x.value('lbagent_gossip_bytes_total', { direction: 'out', transport: 'udp' })! > 0);
  assert.equal(x.types.get('lbagent_gossip_probe_rtt_seconds'), 'histogram');
  assert.ok(x.value('lbagent_gossip_probe_rtt_seconds_count')! >= 1);
  assert.equal(x.value('lbagent_gossip_probe_rtt_seconds_bucket', { le: '+Inf' }), x.value('lbagent_gossip_probe_rtt_seconds_count'));
  assert.deepEqual(x.find('lbagent_gossip_probe_rtt_seconds_bucket').map((b) => b.labels.le), ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf'], 'bounds in seconds');
  assert.equal(x.value('lbagent_gossip_dropped_total', { layer: 'memberlist', reason: 'malformed' }), 0);
});
