// The DNS SRV member source against a real dnsmasq on a loopback port: members from SRV records (target, port,
// weight, priority), records added, removed and re-weighted, a name server that stops answering (paused: queries
// time out; stopped: refused) changes nothing, NXDOMAIN keeps the servers for hold_nx, A TTLs shorten the interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DnsMemberSource, dnsSourceSchema, dnsSourceSettings } from '../../src/sources/dns/index.js';
import type { MemberSourceEvent } from '../../src/interfaces/index.js';
import { startDnsmasq, type DnsRecords } from '../helpers/dnsmasq.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { MetricsHub } from '../../src/metrics/index.js';
import { registerSourceMetrics } from '../../src/sources/metrics.js';

const SRV = '_http._tcp.web.lab';
const HOSTS = { 'web-1.lab': ['127.0.0.11'], 'web-2.lab': ['127.0.0.12'], 'web-3.lab': ['127.0.0.13'] };

function records(srv: DnsRecords['srv']): DnsRecords {
  return { srv, hosts: HOSTS };
}

function source(t: { after(fn: () => Promise<void>): void }, resolver: string, extra: Record<string, unknown> = {}) {
  const lines: Array<{ msg: string; level: number; time: number }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; level: number; time: number }) });
  const src = new DnsMemberSource(dnsSourceSettings(dnsSourceSchema.parse({ name: SRV, role: 'web', resolvers: [resolver], interval: '200ms', timeout: '200ms', retries: 1, ...extra })), log);
  const events: MemberSourceEvent[] = [];
  const eventTimes: number[] = [];
  src.subscribe((e) => (events.push(e), eventTimes.push(Date.now())));
  t.after(() => src.stop());
  const view = () => src.members().map((m) => `${m.name}@${m.addr}:${m.port}/w${m.tags.weight}${m.tags.backup ? '/backup' : ''}/${m.status}`).sort().join(' ');
  const said = (re: RegExp) => lines.filter((l) => re.test(l.msg)).length;
  return { src, events, eventTimes, view, said, lines };
}

test('dns source: SRV records become members; add, remove, re-weight follow the name server', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'dnsmasq')) return;
  const dir = tempDir(t, 'lbagent-dns-');
  const dns = await startDnsmasq(dir, records([
    { name: SRV, target: 'web-1.lab', port: 8081, priority: 10, weight: 100 },
    { name: SRV, target: 'web-2.lab', port: 8082, priority: 10, weight: 1000 },
    { name: SRV, target: 'web-3.lab', port: 8083, priority: 20, weight: 0 },
  ]));
  t.after(() => dns.stop());
  const s = source(t, dns.addr);
  await s.src.start();
  // the first answer is there when start() resolves
  assert.equal(s.view(), 'web-web-1.lab-8081@127.0.0.11:8081/w1/alive web-web-2.lab-8082@127.0.0.12:8082/w4/alive web-web-3.lab-8083@127.0.0.13:8083/w1/backup/alive');
  assert.deepEqual(s.events.map((e) => e.type), ['member-join']);

  // re-weight web-1, add web-3 at priority 10 (no longer a backup), remove web-2
  await dns.setRecords(records([
    { name: SRV, target: 'web-1.lab', port: 8081, priority: 10, weight: 5000 },
    { name: SRV, target: 'web-3.lab', port: 8083, priority: 10, weight: 0 },
  ]));
  await waitFor('the new answer followed', () => s.view() === 'web-web-1.lab-8081@127.0.0.11:8081/w20/alive web-web-2.lab-8082@127.0.0.12:8082/w4/left web-web-3.lab-8083@127.0.0.13:8083/w1/alive', { timeoutMs: 30_000 });
  const types = s.events.map((e) => `${e.type}:${'members' in e ? e.members.map((m) => m.name).join(',') : ''}`);
  assert.ok(types.includes('member-update:web-web-1.lab-8081,web-web-3.lab-8083'), types.join(' '));
  assert.ok(types.includes('member-leave:web-web-2.lab-8082'), types.join(' '));
  assert.equal(s.said(/~web-web-1\.lab-8081 weight 1 → 20/), 1);
  assert.equal(s.said(/-web-web-2\.lab-8082 \(no longer in the answer\)/), 1);

  // a record back: it joins again
  await dns.setRecords(records([
    { name: SRV, target: 'web-1.lab', port: 8081, priority: 10, weight: 5000 },
    { name: SRV, target: 'web-2.lab', port: 8082, priority: 10, weight: 1000 },
    { name: SRV, target: 'web-3.lab', port: 8083, priority: 10, weight: 0 },
  ]));
  await waitFor('web-2 back', () => s.view().includes('web-web-2.lab-8082@127.0.0.12:8082/w4/alive'), { timeoutMs: 30_000 });
  assert.equal(s.events.at(-1)?.type, 'member-join');
});

test('dns source: a name server that stops answering changes nothing (logged once); NXDOMAIN waits hold_nx', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'dnsmasq')) return;
  const dir = tempDir(t, 'lbagent-dns-');
  const two = records([
    { name: SRV, target: 'web-1.lab', port: 8081 },
    { name: SRV, target: 'web-2.lab', port: 8082 },
  ]);
  const dns = await startDnsmasq(dir, two);
  t.after(() => dns.stop());
  const s = source(t, dns.addr, { hold_nx: '1500ms' });
  await s.src.start();
  const before = s.view();
  assert.equal(before, 'web-web-1.lab-8081@127.0.0.11:8081/w1/alive web-web-2.lab-8082@127.0.0.12:8082/w1/alive');

  // paused (SIGSTOP): the port is open, nothing answers, queries time out
  const hub = new MetricsHub({ processMetrics: false });
  registerSourceMetrics(hub, [s.src]);
  const series = async (name: string) => Number(new RegExp(`^${name}\\{source="dns",name="[^"]+"\\} (\\S+)$`, 'm').exec(await hub.text())?.[1]);
  assert.equal(await series('lbagent_source_up'), 1);
  assert.equal(await series('lbagent_source_members'), 2);
  dns.pause();
  const failures0 = s.src.stats.failures;
  await waitFor('several failed rounds (timeouts)', () => s.src.stats.failures >= failures0 + 3, { timeoutMs: 30_000 });
  assert.equal(s.view(), before);
  assert.equal(await series('lbagent_source_up'), 0, 'down while the name server does not answer');
  assert.equal(await series('lbagent_source_members'), 2, 'the last good answer stands');
  assert.ok((await series('lbagent_source_failures_total')) >= 3);
  assert.equal(s.said(/resolution failed .*keeping the last 2 servers/), 1, 'one line for the transition, not one per round');
  dns.resume();
  await waitFor('resolution back', () => s.said(/resolution back \(2 records\)/) === 1, { timeoutMs: 30_000 });

  // stopped: queries refused (ICMP port unreachable)
  await dns.stop();
  const failures1 = s.src.stats.failures;
  await waitFor('several failed rounds (refused)', () => s.src.stats.failures >= failures1 + 3, { timeoutMs: 30_000 });
  assert.equal(s.view(), before);
  assert.equal(s.said(/resolution failed/), 2);
  assert.equal(s.events.length, 1, 'only the first join was ever announced');

  // NXDOMAIN from a name server that answers: kept for hold_nx (1.5 s), then every member leaves
  await dns.setRecords(records([]));
  await waitFor('NXDOMAIN seen', () => s.said(/NXDOMAIN: keeping the last servers for 1\.5s \(hold_nx\)/) === 1, { timeoutMs: 30_000 });
  await waitFor('members left after hold_nx', () => s.view() === 'web-web-1.lab-8081@127.0.0.11:8081/w1/left web-web-2.lab-8082@127.0.0.12:8082/w1/left', { timeoutMs: 30_000 });
  // (the log line is written just after the round took its clock reading)
  const nxAt = s.lines.find((l) => /NXDOMAIN/.test(l.msg))!.time;
  assert.equal(s.events.at(-1)?.type, 'member-leave');
  assert.ok(s.eventTimes.at(-1)! - nxAt >= 1400, `left ${s.eventTimes.at(-1)! - nxAt} ms after NXDOMAIN, within hold_nx`);
  await dns.setRecords(two);
  await waitFor('back after NXDOMAIN', () => s.view() === before, { timeoutMs: 30_000 });
});

test('dns source: hold_obsolete keeps a missing record; an A TTL shorter than the interval brings the next round forward', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'dnsmasq')) return;
  const dir = tempDir(t, 'lbagent-dns-');
  const dns = await startDnsmasq(dir, records([
    { name: SRV, target: 'web-1.lab', port: 8081 },
    { name: SRV, target: 'web-2.lab', port: 8082 },
  ]), { ttl: 1 });
  t.after(() => dns.stop());
  // a 1 min interval: only the 1 s TTL of the A records can make rounds come every second
  const s = source(t, dns.addr, { interval: '1m', hold_obsolete: '3s' });
  await s.src.start();
  await waitFor('rounds at the TTL', () => s.src.stats.rounds >= 3, { timeoutMs: 30_000 });
  const changedAt = Date.now(); // before the restart: no round can see the new answer earlier
  await dns.setRecords(records([{ name: SRV, target: 'web-1.lab', port: 8081 }]));
  await waitFor('web-2 left after hold_obsolete', () => s.view().includes('web-web-2.lab-8082@127.0.0.12:8082/w1/left'), { timeoutMs: 30_000 });
  assert.ok(Date.now() - changedAt >= 3000, `left after ${Date.now() - changedAt} ms, before hold_obsolete`);
});

test('dns source: a target with no address is left out (said once); IPv6 preferred as HAProxy does, unless prefer: ipv4; TTL 0 is no hurry', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'dnsmasq')) return;
  const dir = tempDir(t, 'lbagent-dns-');
  const dns = await startDnsmasq(dir, {
    srv: [{ name: SRV, target: 'web-1.lab', port: 8081 }, { name: SRV, target: 'web-9.lab', port: 8089 }],
    hosts: { 'web-1.lab': ['127.0.0.11', '::1'] },
  });
  t.after(() => dns.stop());
  const v6 = source(t, dns.addr);
  const v4 = source(t, dns.addr, { prefer: 'ipv4' });
  // dnsmasq's local records have TTL 0 ("do not cache"): that must not bring rounds forward to every second
  const slow = source(t, dns.addr, { interval: '1m' });
  await Promise.all([v6.src.start(), v4.src.start(), slow.src.start()]);
  assert.equal(v6.view(), 'web-web-1.lab-8081@::1:8081/w1/alive');
  assert.equal(v4.view(), 'web-web-1.lab-8081@127.0.0.11:8081/w1/alive');
  const rounds = v6.src.stats.rounds;
  const startedAt = Date.now();
  await waitFor('more rounds, and 1.5 s', () => v6.src.stats.rounds >= rounds + 3 && Date.now() - startedAt > 1500, { timeoutMs: 30_000 });
  assert.equal(slow.src.stats.rounds, 1, 'a TTL of 0 leaves the interval in charge');
  assert.equal(v6.said(/no address for web-9\.lab: left out/), 1);
  assert.equal(v6.src.stats.failures, 0);
});
