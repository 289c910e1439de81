// The Consul source's pure parts: Consul's health shapes (the documented responses, recorded as fixtures) to
// server states and members; the blocking-query index rules; the rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instanceState, parseCatalogServices, parseHealth, type HealthCheck } from '../../src/sources/consul/health.js';
import { buildInstances } from '../../src/sources/consul/members.js';
import { nextIndex, requestTimeout, TokenBucket } from '../../src/sources/consul/watch.js';
import { consulSchema } from '../../src/sources/consul/section.js';
import { serverName } from '../../src/controller/desired.js';
import { fixtures } from '../helpers/paths.js';

const fixture = (f: string): unknown => JSON.parse(readFileSync(join(fixtures, 'consul', f), 'utf8'));
const maint = fixture('maintenance-checks.json') as HealthCheck[];
const passing = (id: string): HealthCheck => ({ CheckID: `service:${id}`, Name: `Service '${id}' check`, Status: 'passing' });
const serf: HealthCheck = { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' };

test('consul: the documented health answer parses; its instance becomes a member', () => {
  const parsed = parseHealth(fixture('health-service.json'));
  assert.ok(parsed);
  assert.equal(parsed.dropped, 0);
  const [i] = buildInstances(new Map([['redis', parsed.entries]]), [{ name: 'redis', role: 'cache' }], 'up');
  assert.ok(i);
  assert.deepEqual(i.member, { name: 'foobar.redis', addr: '10.1.10.12', port: 8000, tags: { role: 'cache', service: 'redis', port: '8000' }, status: 'alive' });
  assert.deepEqual(i.state, { state: 'up', why: 'checks passing' });
  assert.deepEqual(parseCatalogServices(fixture('catalog-services.json')), new Map([['consul', []], ['redis', []], ['postgresql', ['primary', 'secondary']]]));
});

// [what, checks, warning setting, expected state]
const table: Array<[string, HealthCheck[], 'up' | 'drain', string]> = [
  ['all passing → up', [passing('redis'), serf], 'up', 'up'],
  ['no checks → up', [], 'up', 'up'],
  ['warning with warning: up → up', [{ ...passing('redis'), Status: 'warning' }, serf], 'up', 'up'],
  ['warning with warning: drain → drain', [{ ...passing('redis'), Status: 'warning' }, serf], 'drain', 'drain'],
  ['service check critical → removed', [{ ...passing('redis'), Status: 'critical' }, serf], 'up', 'removed'],
  ['node check (serfHealth) critical → removed', [passing('redis'), { ...serf, Status: 'critical' }], 'up', 'removed'],
  ['a status Consul does not document → removed', [{ ...passing('redis'), Status: 'maintenance' }], 'up', 'removed'],
  ['node maintenance (consul maint -enable) → drain', [maint[0]!, passing('redis'), serf], 'up', 'drain'],
  ['service maintenance (consul maint -enable -service redis) → drain', [maint[1]!, passing('redis'), serf], 'up', 'drain'],
  ['maintenance wins over a critical check', [maint[1]!, { ...passing('redis'), Status: 'critical' }], 'up', 'drain'],
  ["another service's maintenance check is not this one's", [{ ...maint[1]!, CheckID: '_service_maintenance:redis-2', Status: 'passing' }, serf], 'up', 'up'],
];
for (const [what, checks, warning, expected] of table) {
  test(`consul state: ${what}`, () => {
    const s = instanceState(checks, 'redis', warning);
    assert.equal(s.state, expected);
    assert.ok(s.why.length > 0);
  });
}

test('consul: maintenance reasons come from the check Notes, in the member admin reason', () => {
  const parsed = parseHealth(fixture('health-service.json'))!;
  const e = { ...parsed.entries[0]!, Checks: [maint[0]!, ...(parsed.entries[0]!.Checks ?? [])] };
  const [i] = buildInstances(new Map([['redis', [e]]]), [{ name: 'redis' }], 'up');
  assert.equal(i!.member.admin, 'drain');
  assert.equal(i!.member.adminReason, 'consul: node maintenance: "kernel upgrade": drain');
});

test('consul: roles by name, tag or meta key; weight from meta; address falls back to the node; names are server names', () => {
  const entry = (node: string, id: string, service: string, extra: { tags?: string[]; meta?: Record<string, string>; address?: string } = {}) => ({
    Node: { Node: node, Address: '10.0.0.9' },
    Service: { ID: id, Service: service, Tags: extra.tags ?? [], Address: extra.address ?? '', Meta: extra.meta ?? {}, Port: 8080 },
    Checks: [],
  });
  const byService = new Map([
    ['web', [entry('n1', 'web-1', 'web', { address: '10.0.0.1', meta: { weight: '20' } }), entry('n 2', 'web:2', 'web', { tags: ['lb'] })]],
    ['api', [entry('n1', 'api', 'api', { tags: ['lb'], meta: { 'lb-role': 'api,admin', weight: '999' } }), entry('n3', 'api', 'api', { tags: ['lb'] })]],
  ]);
  const got = buildInstances(byService, [{ name: 'web', role: 'www' }, { tag: 'lb', role_meta: 'lb-role' }], 'up');
  const view = got.map((i) => ({ name: i.member.name, addr: i.member.addr, role: i.member.tags.role, weight: i.member.tags.weight })).sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(view, [
    { name: 'n1.api', addr: '10.0.0.9', role: 'api,admin', weight: undefined }, // weight 999 is no HAProxy weight
    { name: 'n1.web-1', addr: '10.0.0.1', role: 'www', weight: '20' },
    { name: 'n_2.web_2', addr: '10.0.0.9', role: 'www', weight: undefined }, // tag lb but no lb-role meta: role from name only
  ]);
  for (const i of got) assert.equal(serverName(i.member.name), i.member.name);
  // n3's api instance has the tag but no meta key: no role, so no member
  assert.equal(got.some((i) => i.member.name === 'n3.api'), false);
});

test('consul: a name clash after making names safe gets a suffix', () => {
  const e = (id: string) => ({ Node: { Node: 'n', Address: '10.0.0.1' }, Service: { ID: id, Service: 'web', Port: 80 }, Checks: [] });
  const got = buildInstances(new Map([['web', [e('a/b'), e('a:b')]]]), [{ name: 'web' }], 'up');
  assert.deepEqual(got.map((i) => i.member.name).sort(), ['n.a_b', 'n.a_b-2']);
});

test('consul: entries not of Consul shape are dropped and counted', () => {
  const parsed = parseHealth([{ Node: { Node: 'n', Address: '1.2.3.4' }, Service: { ID: 'x', Service: 'x', Port: 'eighty' } }, 'junk', ...(fixture('health-service.json') as unknown[])]);
  assert.equal(parsed!.dropped, 2);
  assert.equal(parsed!.entries.length, 1);
  assert.equal(parseHealth({ not: 'a list' }), undefined);
  assert.equal(parseCatalogServices([1, 2]), undefined);
});

test('consul blocking: the index rules of Consul docs', () => {
  assert.equal(nextIndex(0, 42), 42, 'first answer: block on its index');
  assert.equal(nextIndex(42, 43), 43);
  assert.equal(nextIndex(42, 42), 42, 'returned on wait: same index');
  assert.equal(nextIndex(42, 7), 0, 'went backwards: reset to 0');
  assert.equal(nextIndex(0, 0), 1, 'never block on an index below 1');
  assert.equal(nextIndex(5, undefined), 0, 'no index: ask afresh');
  assert.equal(requestTimeout(16_000), 16_000 + 1000 + 5000, 'the wait, its jitter (wait/16) and a margin');
});

test('consul blocking: a token bucket with burst 2 lets two queries go at once, then one per interval', () => {
  let now = 1000;
  const b = new TokenBucket(2, 1000, () => now);
  assert.equal(b.take(), 0);
  assert.equal(b.take(), 0);
  assert.equal(b.take(), 1000);
  now += 1000; // the wait was served
  assert.equal(b.take(), 1000);
  now += 10_000; // quiet: back to a full burst
  assert.equal(b.take(), 0);
  assert.equal(b.take(), 0);
});

test('consul section: addresses, mappings and ranges are checked', () => {
  const ok = consulSchema.safeParse({ address: 'https://consul.example:8501', services: [{ name: 'web' }, { tag: 'lb', role_meta: 'role' }], wait: '30s', warning: 'drain' });
  assert.ok(ok.success);
  assert.equal(ok.data.address, 'https://consul.example:8501');
  assert.equal(ok.data.wait, 30_000);
  assert.equal(consulSchema.parse({ address: '127.0.0.1:8500', services: [{ name: 'web' }] }).address, 'http://127.0.0.1:8500');
  for (const bad of [
    { services: [] },
    { services: [{ role: 'web' }] },
    { services: [{ name: 'web', tag: 'lb' }] },
    { services: [{ name: 'web', role: 'a', role_meta: 'b' }] },
    { address: 'ftp://x:1', services: [{ name: 'web' }] },
    { address: 'http://x:1/v1', services: [{ name: 'web' }] },
    { wait: '20m', services: [{ name: 'web' }] },
    { warning: 'maint', services: [{ name: 'web' }] },
    { services: [{ name: 'web' }], extra: 1 },
  ]) assert.equal(consulSchema.safeParse(bad).success, false, JSON.stringify(bad));
});
