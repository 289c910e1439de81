import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredPools, serverName, type DesiredOptions, type ObservedMember } from '../../src/controller/desired.js';
import { PauseBook } from '../../src/controller/pauses.js';
import type { MemberStatus } from '../../src/interfaces/member-source.js';
import { roles } from './fixtures.js';


const ROLES = roles([
  'roles:',
  '  web:',
  '    lb: [web]',
  '    monitor: [canary]',
  '    port: 8080',
  '  api:',
  '    lb: [{ backend: api, weight: 5, check: { interval: 1s } }, { backend: web, port: 9000, backup: true }]',
].join('\n'));

const NOW = 1_000_000;
const OPTS: DesiredOptions = { localName: 'lb-1', pauseState: 'drain', failedGraceMs: 30_000, leaveGraceMs: 10_000 };

function member(name: string, role: string, status: MemberStatus = 'alive', since = NOW - 1000, addr = '10.0.0.1'): ObservedMember {
  return { name, addr, port: 7946, tags: { role }, status, since };
}

function pick(result: ReturnType<typeof desiredPools>, backend: string) {
  return (result.pools.get(backend) ?? []).map((s) => ({ name: s.name, port: s.port, state: s.state, monitorOnly: s.monitorOnly, backup: s.backup, weight: s.weight }));
}

test('desired: roles place alive members in lb and monitor backends, with overrides', () => {
  const r = desiredPools([member('web-01', 'web'), member('api-01', 'api', 'alive', NOW, '10.0.0.2')], new Map(), ROLES, OPTS, NOW);
  assert.deepEqual(pick(r, 'web'), [
    { name: 'api-01', port: 9000, state: 'ready', monitorOnly: undefined, backup: true, weight: undefined },
    { name: 'web-01', port: 8080, state: 'ready', monitorOnly: undefined, backup: undefined, weight: undefined },
  ]);
  assert.deepEqual(pick(r, 'canary'), [{ name: 'web-01', port: 8080, state: 'ready', monitorOnly: true, backup: undefined, weight: undefined }]);
  assert.deepEqual(pick(r, 'api'), [{ name: 'api-01', port: 80, state: 'ready', monitorOnly: undefined, backup: undefined, weight: 5 }]);
  assert.deepEqual(r.pools.get('api')![0]!.check, { enabled: true, inter: 1000 });
  assert.deepEqual(r.pools.get('web')![0]!.check, { enabled: true });
});

test('desired: a member\'s weight and backup tags (DNS SRV, Consul) count unless roles.yml says otherwise', () => {
  const tagged = (name: string, role: string, tags: Record<string, string>): ObservedMember => ({ ...member(name, role), tags: { role, ...tags } });
  const r = desiredPools(
    [
      tagged('web-a', 'web', { weight: '3', backup: 'true' }),
      tagged('web-b', 'web', { weight: '999', backup: 'yes' }), // out of range / not a boolean: ignored
      tagged('api-a', 'api', { weight: '7', backup: 'false' }), // role api sets weight 5 in api, backup in web
    ],
    new Map(),
    ROLES,
    OPTS,
    NOW,
  );
  assert.deepEqual(pick(r, 'web'), [
    { name: 'api-a', port: 9000, state: 'ready', monitorOnly: undefined, backup: true, weight: 7 },
    { name: 'web-a', port: 8080, state: 'ready', monitorOnly: undefined, backup: true, weight: 3 },
    { name: 'web-b', port: 8080, state: 'ready', monitorOnly: undefined, backup: undefined, weight: undefined },
  ]);
  assert.deepEqual(pick(r, 'api'), [{ name: 'api-a', port: 80, state: 'ready', monitorOnly: undefined, backup: undefined, weight: 5 }]);
});

// [what, member, pause?, expected web entry (undefined = not in pool)]
const table: Array<[string, ObservedMember, boolean | undefined, { state: string; cause: string } | undefined]> = [
  ['alive', member('w', 'web'), undefined, { state: 'ready', cause: 'join' }],
  ['paused → drain', member('w', 'web'), true, { state: 'drain', cause: 'pause' }],
  ['resumed → ready', member('w', 'web'), false, { state: 'ready', cause: 'join' }],
  ['failed just now → maint', member('w', 'web', 'failed', NOW - 5000), undefined, { state: 'maint', cause: 'failed' }],
  ['failed and paused → maint (failure wins)', member('w', 'web', 'failed', NOW - 5000), true, { state: 'maint', cause: 'failed' }],
  ['failed past failed_grace → removed', member('w', 'web', 'failed', NOW - 30_000), undefined, undefined],
  ['leaving → drain', member('w', 'web', 'leaving', NOW - 100), undefined, { state: 'drain', cause: 'leave' }],
  ['left within grace → drain', member('w', 'web', 'left', NOW - 9_999), undefined, { state: 'drain', cause: 'leave' }],
  ['left past grace → removed', member('w', 'web', 'left', NOW - 10_000), undefined, undefined],
  ['role lb never in a pool', member('w', 'lb'), undefined, undefined],
  ['the local node never', member('lb-1', 'web'), undefined, undefined],
  ['no role tag', { ...member('w', 'web'), tags: {} }, undefined, undefined],
  ['unknown role', member('w', 'db'), undefined, undefined],
  ['drained by its source (Consul maintenance) → drain', { ...member('w', 'web'), admin: 'drain', adminReason: 'consul: service maintenance' }, undefined, { state: 'drain', cause: 'source' }],
  ['drained by its source and paused → the pause', { ...member('w', 'web'), admin: 'drain' }, true, { state: 'drain', cause: 'pause' }],
  ['drained by its source and failed → maint (failure wins)', { ...member('w', 'web', 'failed', NOW - 5000), admin: 'drain' }, undefined, { state: 'maint', cause: 'failed' }],
];
for (const [what, m, paused, expected] of table) {
  test(`desired: ${what}`, () => {
    const book = new PauseBook();
    if (paused !== undefined) book.onUserEvent(paused ? 'pause' : 'resume', m.name, 1);
    const r = desiredPools([m], book.view(), ROLES, OPTS, NOW);
    const s = r.pools.get('web')?.find((x) => x.member === m.name);
    assert.deepEqual(s ? { state: s.state, cause: s.cause } : undefined, expected);
    assert.ok(r.pools.has('web'), 'a backend named by roles.yml is always in the answer (emptied, not forgotten)');
    if (expected) assert.ok(s!.reason && s!.reason.length > 0);
  });
}

test('desired: pause_state maint', () => {
  const book = new PauseBook();
  book.onUserEvent('pause', 'w 10.0.0.1 web', 3);
  const r = desiredPools([member('w', 'web')], book.view(), ROLES, { ...OPTS, pauseState: 'maint' }, NOW);
  assert.equal(r.pools.get('web')![0]!.state, 'maint');
});

test('desired: unknown roles and backends are reported; nextChangeAt is the earliest grace end', () => {
  const r = desiredPools(
    [member('a', 'db'), member('b', 'web', 'failed', NOW - 1000), member('c', 'web', 'left', NOW - 2000)],
    new Map(), ROLES, { ...OPTS, knownBackends: new Set(['web', 'api']) }, NOW);
  assert.deepEqual([...r.unknownRoles], ['db']);
  assert.deepEqual([...r.unknownBackends], ['canary']);
  assert.equal(r.pools.has('canary'), false);
  assert.equal(r.nextChangeAt, NOW - 2000 + 10_000);
});

test('desired: stable names from member names; member port tag used when roles.yml says none', () => {
  assert.equal(serverName('web 01/x'), 'web_01_x');
  const rr = roles('roles:\n  app:\n    lb: [app]\n');
  const m = { ...member('app-1', 'app'), tags: { role: 'app', port: '3000' } };
  const r = desiredPools([m], new Map(), rr, OPTS, NOW);
  assert.equal(r.pools.get('app')![0]!.port, 3000);
  // same input, same output, whatever the member order
  const m2 = member('app-0', 'app');
  assert.deepEqual(desiredPools([m, m2], new Map(), rr, OPTS, NOW).pools, desiredPools([m2, m], new Map(), rr, OPTS, NOW).pools);
});

test('fail static: over the share, failed members passing their checks stay in rotation; the others go as before', () => {
  const R = roles('roles:\n  web: { lb: [web] }\n');
  const longAgo = NOW - 60_000; // past failed_grace (30 s)
  const members = [member('w1', 'web', 'failed', longAgo), member('w2', 'web', 'failed', longAgo), member('w3', 'web', 'failed', NOW - 1000), member('w4', 'web')];
  const states = (r: ReturnType<typeof desiredPools>) => (r.pools.get('web') ?? []).map((s) => `${s.name}:${s.state}`).join(' ');
  // 3 of 4 failed (75 % > 50 %): w1 and w3 pass their checks and stay ready; w2 fails them: past its grace, gone
  const over = desiredPools(members, new Map(), R, { ...OPTS, failStatic: { pct: 50, passing: new Set(['web/w1', 'web/w3', 'web/w4']) } }, NOW);
  assert.equal(states(over), 'w1:ready w3:ready w4:ready');
  assert.deepEqual(over.failStatic.get('web'), { failed: 3, of: 4, kept: 2 });
  assert.match(over.pools.get('web')![0]!.reason!, /^role web; member failed in gossip but passes its health checks: kept in rotation \(fail static: 3 of 4 members failed\)$/);
  // under the share (or without fail static): failed members in maint during their grace, then out
  const under = desiredPools(members, new Map(), R, { ...OPTS, failStatic: { pct: 80, passing: new Set(['web/w1', 'web/w3']) } }, NOW);
  assert.equal(states(under), 'w3:maint w4:ready');
  assert.equal(under.failStatic.size, 0);
  assert.equal(states(desiredPools(members, new Map(), R, OPTS, NOW)), 'w3:maint w4:ready');
  // one failed member of one (an agent that died, its app still up) is a failure: it goes as before
  const alone = desiredPools([member('w1', 'web', 'failed', longAgo)], new Map(), R, { ...OPTS, failStatic: { pct: 50, passing: new Set(['web/w1']) } }, NOW);
  assert.equal(states(alone), '');
});

test('desired: a source drain keeps its reason; pause_state maint wins over it', () => {
  const m: ObservedMember = { ...member('w', 'web'), admin: 'drain', adminReason: "consul: node maintenance: 'kernel upgrade'" };
  const r = desiredPools([m], new Map(), ROLES, OPTS, NOW);
  assert.match(r.pools.get('web')![0]!.reason ?? '', /node maintenance: 'kernel upgrade'/);
  const book = new PauseBook();
  book.onUserEvent('pause', 'w', 1);
  assert.equal(desiredPools([m], book.view(), ROLES, { ...OPTS, pauseState: 'maint' }, NOW).pools.get('web')![0]!.state, 'maint');
});

test('desired: a member weight tag (0..256) sets the weight below roles.yml', () => {
  const rr = roles('roles:\n  app:\n    lb: [app, { backend: other, weight: 7 }]\n');
  const at = (w: string) => desiredPools([{ ...member('a', 'app'), tags: { role: 'app', weight: w } }], new Map(), rr, OPTS, NOW);
  assert.equal(at('30').pools.get('app')![0]!.weight, 30);
  assert.equal(at('30').pools.get('other')![0]!.weight, 7, "roles.yml's weight wins");
  assert.equal(at('0').pools.get('app')![0]!.weight, 0);
  for (const bad of ['257', '-1', '1.5', 'x', '']) assert.equal(at(bad).pools.get('app')![0]!.weight, undefined, bad);
});

test("desired: a backend's port serves members of every role in it, after the role's and the member's own, before defaults.port", () => {
  const r = roles([
    'defaults: { port: 8000 }',
    'iis: { lb: [web_pool, service_a], monitor: iis_check, interval: 5 }',
    'web_service_a: { lb: [service_a], port: 2222 }',
    'mongo: { lb: [mongo, { backend: other, port: 27018 }] }',
  ].join('\n'));
  const ports = new Map([['web_pool', 80], ['service_a', 1111], ['mongo', 27017], ['iis_check', 81], ['other', 9]]);
  const tagged = { ...member('iis-02', 'iis'), tags: { role: 'iis', port: '8080' } };
  const res = desiredPools([member('iis-01', 'iis'), tagged, member('a-01', 'web_service_a'), member('db-01', 'mongo'), member('x-01', 'iis')], new Map(), r, { ...OPTS, backendPorts: ports }, NOW);
  const at = (backend: string) => Object.fromEntries((res.pools.get(backend) ?? []).map((s) => [s.name, s.port]));
  assert.deepEqual(at('web_pool'), { 'iis-01': 80, 'iis-02': 8080, 'x-01': 80 }, "the member's port tag before the backend's");
  assert.deepEqual(at('service_a'), { 'a-01': 2222, 'iis-01': 1111, 'iis-02': 8080, 'x-01': 1111 }, "the role's port first");
  assert.deepEqual(at('mongo'), { 'db-01': 27017 });
  assert.deepEqual(at('other'), { 'db-01': 27018 }, "the entry's port before all");
  const check = res.pools.get('iis_check')!.find((s) => s.name === 'iis-01')!;
  assert.equal(check.port, 81, 'monitor servers (and so their checks) at the backend port too');
  assert.equal(check.monitorOnly, true);
  assert.deepEqual(check.check, { enabled: true, inter: 5000 }, "the role's interval is its servers' check interval");
  // no backend port: defaults.port as before
  const plain = desiredPools([member('iis-01', 'iis')], new Map(), r, OPTS, NOW);
  assert.equal(plain.pools.get('web_pool')![0]!.port, 8000);
});
