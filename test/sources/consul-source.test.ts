// The Consul member source against the Consul HTTP API stand-in: blocking queries, index resets, ACL token,
// datacenter, failures that keep the last known members, maintenance → drain, critical → removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startConsulStandin, type ConsulStandin } from '../helpers/consul-standin.js';
import { ConsulClient } from '../../src/sources/consul/api.js';
import { ConsulMemberSource, type ConsulSourceOptions } from '../../src/sources/consul/source.js';
import { startSources } from '../../src/sources/index.js';
import type { MemberSourceEvent } from '../../src/interfaces/index.js';
import { waitFor } from '../helpers/wait.js';
import { makeCa } from '../helpers/certs.js';
import { needTool } from '../helpers/tools.js';
import { MetricsHub } from '../../src/metrics/index.js';
import { registerSourceMetrics } from '../../src/sources/metrics.js';

function logger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines, said: (re: RegExp) => lines.filter((l) => re.test(l.msg)) };
}

function source(consul: ConsulStandin, o: Partial<ConsulSourceOptions> & { token?: string } = {}) {
  const { log, lines, said } = logger();
  const s = new ConsulMemberSource({
    client: new ConsulClient({ address: consul.url, token: o.token }),
    address: consul.url,
    mappings: [{ name: 'web' }],
    waitMs: 2000,
    retryMs: 100,
    minIntervalMs: 50,
    warning: 'up',
    log,
    ...o,
  });
  const events: MemberSourceEvent[] = [];
  s.subscribe((e) => events.push(e));
  const view = () => s.members().map((m) => `${m.name}@${m.addr}:${m.port}${m.admin ? `:${m.admin}` : ''}`).sort().join(' ');
  return { s, view, events, lines, said };
}

const web = (id: string, port: number, extra: object = {}) => ({ id, name: 'web', port, address: '127.0.0.1', ...extra });

test('consul stand-in: blocking queries as Consul documents them', async (t) => {
  const consul = await startConsulStandin({ token: 'secret' });
  t.after(() => consul.close());
  const get = async (q: string, token: string | null = 'secret') => {
    const t0 = Date.now();
    const res = await fetch(`${consul.url}${q}`, { headers: token !== null ? { 'x-consul-token': token } : {} });
    return { status: res.status, index: Number(res.headers.get('x-consul-index')), body: await res.text(), ms: Date.now() - t0, filtered: res.headers.get('x-consul-results-filtered-by-acls') };
  };
  consul.register('n1', '10.0.0.1', web('web-1', 8080));
  const first = await get('/v1/health/service/web');
  assert.equal(first.status, 200);
  assert.ok(first.index > 0);
  const entries = JSON.parse(first.body) as Array<{ Node: { Node: string }; Service: { Port: number; Weights: unknown }; Checks: Array<{ CheckID: string }> }>;
  assert.equal(entries[0]!.Node.Node, 'n1');
  assert.deepEqual(entries[0]!.Service.Weights, { Passing: 1, Warning: 1 }, "fields of Consul's documented shape");
  assert.deepEqual(entries[0]!.Checks.map((c) => c.CheckID), ['serfHealth']);
  // no change: returns after wait with the same index
  const idle = await get(`/v1/health/service/web?index=${first.index}&wait=300ms`);
  assert.equal(idle.index, first.index);
  assert.ok(idle.ms >= 250, `blocked ${idle.ms} ms`);
  // a change: returns at once with a higher index
  const pending = get(`/v1/health/service/web?index=${first.index}&wait=30s`);
  setTimeout(() => consul.maint('n1', 'web-1', true, 'deploy'), 100);
  const changed = await pending;
  assert.ok(changed.index > first.index && changed.ms < 10_000);
  assert.match(changed.body, /"CheckID":"_service_maintenance:web-1".*"Notes":"deploy"/);
  assert.equal((await get('/v1/health/service/web', 'wrong')).status, 403);
  assert.equal((await get('/v1/health/service/web', 'wrong')).body, 'ACL not found');
  const anon = await get('/v1/health/service/web', null);
  assert.deepEqual([anon.status, anon.body, anon.filtered], [200, '[]', 'true']);
  assert.equal((await get('/v1/health/service/web?dc=dc9')).status, 500);
  assert.equal((await get('/v1/health/service/web?wait=5')).status, 400, 'wait needs a unit, as Go durations do');
  assert.match((await get('/v1/catalog/services')).body, /"consul":\[\],"web":\[\]/);
});

test('consul source: register, critical, maintenance, warning, deregister', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', web('web-1', 8081, { checks: [{ id: 'service:web-1', status: 'passing' }] }));
  const { s, view, events, said } = source(consul, { mappings: [{ name: 'web', role: 'www' }] });
  t.after(() => s.stop());
  s.start();
  await s.ready(5000);
  assert.equal(view(), 'n1.web-1@127.0.0.1:8081');
  assert.equal(s.members()[0]!.tags.role, 'www');
  consul.register('n2', '10.0.0.2', { id: 'web-2', name: 'web', port: 8082, meta: { weight: '5' } }); // no service address: the node's
  await waitFor('n2 joins', () => view() === 'n1.web-1@127.0.0.1:8081 n2.web-2@10.0.0.2:8082');
  assert.equal(s.members().find((m) => m.name === 'n2.web-2')!.tags.weight, '5');
  assert.ok(events.some((e) => e.type === 'member-join'));

  consul.setCheck('n1', 'web-1', 'service:web-1', 'critical', 'HTTP GET http://127.0.0.1:8081/: 503');
  await waitFor('critical → removed', () => view() === 'n2.web-2@10.0.0.2:8082');
  assert.equal(said(/n1\.web-1 .* is removed \(was UP\): check 'service:web-1' critical/).length, 1);
  consul.setCheck('n1', 'web-1', 'service:web-1', 'warning');
  await waitFor('warning (warning: up) → back, up', () => view() === 'n1.web-1@127.0.0.1:8081 n2.web-2@10.0.0.2:8082');

  consul.maint('n2', undefined, true, 'kernel upgrade');
  await waitFor('node maintenance → drain', () => view() === 'n1.web-1@127.0.0.1:8081 n2.web-2@10.0.0.2:8082:drain');
  assert.match(s.members().find((m) => m.name === 'n2.web-2')!.adminReason ?? '', /node maintenance: "kernel upgrade"/);
  consul.maint('n2', undefined, false);
  consul.maint('n1', 'web-1', true);
  await waitFor('service maintenance → drain; node maintenance off → up', () => view() === 'n1.web-1@127.0.0.1:8081:drain n2.web-2@10.0.0.2:8082');
  consul.deregister('n1', 'web-1');
  await waitFor('deregistered → removed', () => view() === 'n2.web-2@10.0.0.2:8082');
  assert.equal(said(/n1\.web-1 127\.0\.0\.1:8081 deregistered: removed/).length, 1);
});

test('consul source: warning: drain', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', web('web-1', 8081, { checks: [{ id: 'c', status: 'warning' }] }));
  const { s, view } = source(consul, { warning: 'drain' });
  t.after(() => s.stop());
  s.start();
  await waitFor('warning → drain', () => view() === 'n1.web-1@127.0.0.1:8081:drain');
});

test('consul source: 500s, answers that never come, Consul gone: the last known members stay; logged once per transition', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', web('web-1', 8081));
  consul.register('n2', '10.0.0.2', web('web-2', 8082));
  const { s, view, said } = source(consul, { waitMs: 1000 });
  t.after(() => s.stop());
  s.start();
  await s.ready(5000);
  const before = view();
  assert.equal(before, 'n1.web-1@127.0.0.1:8081 n2.web-2@127.0.0.1:8082');

  // the source's metrics, scraped as the balancer's /metrics would
  const hub = new MetricsHub({ processMetrics: false });
  registerSourceMetrics(hub, [s]);
  const series = async (name: string) => Number(new RegExp(`^${name}\\{source="consul",name="[^"]+"\\} (\\S+)$`, 'm').exec(await hub.text())?.[1]);
  assert.equal(await series('lbagent_source_up'), 1);
  assert.equal(await series('lbagent_source_members'), 2);
  assert.equal(await series('lbagent_source_failures_total'), 0);

  consul.fail(500);
  const seen = consul.requests.length;
  await waitFor('several failed queries', () => consul.requests.length >= seen + 3, { timeoutMs: 30_000 });
  assert.equal(view(), before);
  assert.equal(await series('lbagent_source_up'), 0, 'down while its queries fail');
  assert.equal(await series('lbagent_source_members'), 2, 'the last known members stand');
  // a query is counted failed once its answer is read, which may follow the stand-in counting the request
  await waitFor('three failures counted', async () => (await series('lbagent_source_failures_total')) >= 3, { timeoutMs: 30_000 });
  assert.equal(said(/query failed \(HTTP 500: No cluster leader\): last known members kept \(2\)/).length, 1, 'once per transition');
  consul.fail(undefined);
  consul.deregister('n2', 'web-2');
  await waitFor('answers again: changes apply', () => view() === 'n1.web-1@127.0.0.1:8081', { timeoutMs: 30_000 });
  assert.equal(await series('lbagent_source_up'), 1);
  assert.equal(said(/Consul answers again/).length, 1);

  consul.hang(true);
  const held = consul.requests.length;
  // the held query times out (wait 1s + 1/16 + 5s margin), the next is held as well
  await waitFor('a query timed out', () => said(/no answer in/).length === 1, { timeoutMs: 30_000 });
  assert.ok(consul.requests.length >= held);
  assert.equal(view(), 'n1.web-1@127.0.0.1:8081');
  consul.register('n3', '10.0.0.3', web('web-3', 8083));
  consul.hang(false);
  await waitFor('answers again after the hang', () => view() === 'n1.web-1@127.0.0.1:8081 n3.web-3@127.0.0.1:8083', { timeoutMs: 30_000 });
  assert.equal(said(/Consul answers again/).length, 2);

  // Consul's agent goes away altogether (connections refused), then comes back
  await consul.down();
  await waitFor('refused logged', () => said(/query failed \(connect ECONNREFUSED/).length === 1, { timeoutMs: 30_000 });
  assert.equal(view(), 'n1.web-1@127.0.0.1:8081 n3.web-3@127.0.0.1:8083');
  consul.deregister('n3', 'web-3');
  await consul.up();
  await waitFor('back after the restart', () => view() === 'n1.web-1@127.0.0.1:8081', { timeoutMs: 60_000 });
  assert.equal(said(/Consul answers again/).length, 3);
});

test('consul source: an index that goes backwards resets the loop (index 0) and changes still arrive', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  for (let i = 0; i < 20; i++) consul.register(`n${i}`, '10.0.0.1', web(`web-${i}`, 9000 + i)); // index well above 10
  const { s, view } = source(consul, { waitMs: 1000 });
  t.after(() => s.stop());
  s.start();
  await s.ready(5000);
  assert.equal(s.members().length, 20);
  const high = consul.index();
  consul.resetIndex(5); // a snapshot restore: the same data, older indexes
  const seen = consul.requests.length;
  consul.deregister('n0', 'web-0'); // index 6: below what the client blocks on
  await waitFor('the change arrives despite the lower index', () => s.members().length === 19 && !view().includes('n0.web-0'), { timeoutMs: 30_000 });
  assert.ok(consul.requests.slice(seen).some((r) => r.query.index === undefined), 'a query without index after the index went backwards');
  await waitFor('then it blocks on the new, lower index', () => consul.requests.slice(seen).some((r) => r.query.index !== undefined && Number(r.query.index) > 0 && Number(r.query.index) < high));
});

test('consul source: a bad token (403) or a token whose answers are filtered keeps the last members; datacenter is sent', async (t) => {
  const consul = await startConsulStandin({ token: 'secret', datacenter: 'eu1' });
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', web('web-1', 8081));
  const good = source(consul, { token: 'secret', datacenter: 'eu1' });
  t.after(() => good.s.stop());
  good.s.start();
  await waitFor('members with the right token and dc', () => good.view() === 'n1.web-1@127.0.0.1:8081');
  assert.ok(consul.requests.every((r) => r.query.dc === 'eu1' && r.token === 'secret'));

  const bad = source(consul, { token: 'nope' });
  t.after(() => bad.s.stop());
  bad.s.start();
  await waitFor('403 logged', () => bad.said(/ACL token refused: ACL not found/).length === 1);
  assert.equal(bad.view(), '');
  const anon = source(consul);
  t.after(() => anon.s.stop());
  anon.s.start();
  await waitFor('filtered logged', () => anon.said(/results filtered by ACLs/).length === 1);
  const wrongDc = source(consul, { token: 'secret', datacenter: 'us9' });
  t.after(() => wrongDc.s.stop());
  wrongDc.s.start();
  await waitFor('unknown datacenter logged', () => wrongDc.said(/HTTP 500: No path to datacenter/).length === 1);
});

test('consul source: services found by tag through the catalog; role from a meta key', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', { id: 'api-1', name: 'api', port: 7001, tags: ['lb'], meta: { 'lb-role': 'api' } });
  consul.register('n1', '10.0.0.1', { id: 'db-1', name: 'db', port: 5432 });
  const { s, view } = source(consul, { mappings: [{ tag: 'lb', role_meta: 'lb-role' }] });
  t.after(() => s.stop());
  s.start();
  await waitFor('api by tag', () => view() === 'n1.api-1@10.0.0.1:7001');
  consul.register('n2', '10.0.0.2', { id: 'cache-1', name: 'cache', port: 6379, tags: ['lb'], meta: { 'lb-role': 'cache' } });
  await waitFor('a new tagged service is watched', () => view() === 'n1.api-1@10.0.0.1:7001 n2.cache-1@10.0.0.2:6379');
  assert.equal(s.members().find((m) => m.name === 'n2.cache-1')!.tags.role, 'cache');
  consul.register('n2', '10.0.0.2', { id: 'cache-1', name: 'cache', port: 6379, tags: [], meta: { 'lb-role': 'cache' } });
  await waitFor('a service that lost its tag is dropped', () => view() === 'n1.api-1@10.0.0.1:7001');
});

test('consul source: startSources starts it from the section; a missing CA file is refused', async (t) => {
  const consul = await startConsulStandin();
  t.after(() => consul.close());
  consul.register('n1', '10.0.0.1', web('web-1', 8081));
  const { log } = logger();
  const [src] = await startSources({ consul: { address: consul.url, services: [{ name: 'web' }] } }, log);
  t.after(() => src?.stop());
  assert.deepEqual(src!.members().map((m) => m.name), ['n1.web-1'], 'the first answer is in before start returns');
  await assert.rejects(startSources({ consul: { address: consul.url, ca_file: 'no-such-ca.pem', services: [{ name: 'web' }] } }, log), /LBA_ERR_CONFIG_READ|cannot read file/);
});

test('consul source: https with the CA file the section names; a server the CA did not sign is refused', async (t) => {
  if (!needTool(t, 'openssl')) return;
  const ca = makeCa('consul test CA', t);
  const consul = await startConsulStandin({ tls: ca.issue('127.0.0.1') });
  t.after(() => consul.close());
  assert.match(consul.url, /^https:/);
  consul.register('n1', '10.0.0.1', web('web-1', 8081));
  const { log, said } = logger();
  const [src] = await startSources({ consul: { address: consul.url, ca_file: ca.caFile, services: [{ name: 'web' }] } }, log);
  t.after(() => src?.stop());
  assert.deepEqual(src!.members().map((m) => m.name), ['n1.web-1']);
  const other = makeCa('another CA', t);
  const [untrusting] = await startSources({ consul: { address: consul.url, ca_file: other.caFile, services: [{ name: 'web' }] } }, log);
  t.after(() => untrusting?.stop());
  await waitFor('a certificate from another CA is refused', () => said(/query failed \(.*(self[- ]signed|unable to verify|certificate)/i).length > 0);
  assert.deepEqual(untrusting!.members(), []);
});
