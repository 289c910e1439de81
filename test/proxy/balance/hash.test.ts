import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../../src/proxy/balance/index.js';
import { uriKey } from '../../../src/proxy/balance/hash-ring.js';
import { hashString } from '../../../src/proxy/balance/hash.js';
import { assertShares, countPicks, ip, servers, type Srv } from './helpers.js';

const N_CLIENTS = 20_000;

function assignments(b: ReturnType<typeof createAlgorithm<Srv>>): string[] {
  return Array.from({ length: N_CLIENTS }, (_, i) => b.pick({ clientIp: ip(i) })!.name);
}

test('source: the same client always reaches the same server; shares follow weight', () => {
  const b = createAlgorithm<Srv>({ algo: 'source' });
  const pool = servers({ a: 1, b: 2, c: 1, d: 4 });
  b.update(pool);
  const first = assignments(b);
  assert.deepEqual(assignments(b), first);
  assertShares(countPicks(b, N_CLIENTS, (i) => ({ clientIp: ip(i) })), pool, 0.15);
  // IPv4-mapped IPv6 is the same client
  assert.equal(b.pick({ clientIp: '::ffff:10.0.0.7' })!.name, b.pick({ clientIp: '10.0.0.7' })!.name);
});

test('source: adding or removing one of N servers remaps about 1/N of the clients', () => {
  const n = 10;
  const pool = servers(Object.fromEntries(Array.from({ length: n }, (_, i) => [`web${i}`, 1])));
  const b = createAlgorithm<Srv>({ algo: 'source' });
  b.update(pool);
  const before = assignments(b);

  b.update(pool.filter((s) => s.name !== 'web3'));
  const removed = assignments(b);
  let moved = 0;
  for (let i = 0; i < N_CLIENTS; i++) {
    if (before[i] !== removed[i]) {
      moved++;
      assert.equal(before[i], 'web3', 'only the removed server’s clients move');
    }
  }
  assert.ok(moved / N_CLIENTS <= 2 / n, `removal remapped ${moved / N_CLIENTS}`);

  b.update([...pool, { name: 'web10', weight: 1, active: 0 }]);
  const added = assignments(b);
  moved = 0;
  for (let i = 0; i < N_CLIENTS; i++) {
    if (before[i] !== added[i]) {
      moved++;
      assert.equal(added[i], 'web10', 'clients only move to the new server');
    }
  }
  assert.ok(moved / N_CLIENTS <= 2 / (n + 1), `addition remapped ${moved / N_CLIENTS}`);
  assert.ok(moved > 0);

  // order of the list does not matter: the ring depends on names
  b.update([...pool].reverse());
  assert.deepEqual(assignments(b), before);
});

test('source: accept() walks the ring to the next server; rejected-all gives undefined', () => {
  const b = createAlgorithm<Srv>({ algo: 'source' });
  const pool = servers({ a: 1, b: 1, c: 1 });
  b.update(pool);
  const without = createAlgorithm<Srv>({ algo: 'source' });
  without.update(pool.filter((s) => s.name !== 'b'));
  for (let i = 0; i < 2000; i++) {
    const ctx = { clientIp: ip(i) };
    // skipping b on the full ring lands where a ring without b would
    assert.equal(b.pick(ctx, (s) => s.name !== 'b')!.name, without.pick(ctx)!.name);
  }
  assert.equal(b.pick({ clientIp: '1.2.3.4' }, () => false), undefined);
  b.update(servers({ z: 0 }));
  assert.equal(b.pick({ clientIp: '1.2.3.4' }), undefined);
  b.update([]);
  assert.equal(b.pick({ clientIp: '1.2.3.4' }), undefined);
});

test('uri: hashes the path before ?, honouring len, depth and whole', () => {
  const h = (s: string) => hashString(s);
  assert.equal(uriKey('/a/b/c?x=1', {}), h('/a/b/c'));
  assert.equal(uriKey('/a/b/c?x=1', { whole: true }), h('/a/b/c?x=1'));
  assert.equal(uriKey('/a/b/c', { len: 4 }), h('/a/b'));
  assert.equal(uriKey('/a/b/c/d', { depth: 2 }), h('/a/b'));
  assert.equal(uriKey('/a/b/c/d', { depth: 1 }), h('/a'));
  assert.equal(uriKey('/abc', { depth: 1 }), h('/abc'));
  assert.equal(uriKey('/a/bcdef/c', { depth: 2, len: 5 }), h('/a/bc'));
  assert.equal(uriKey('/a?b/c', { depth: 1 }), h('/a'));
});

test('uri: same path sticks to one server; query ignored; few remaps on pool change', () => {
  const b = createAlgorithm<Srv>({ algo: 'uri', depth: 2 });
  const pool = servers({ s1: 1, s2: 1, s3: 1, s4: 1, s5: 1 });
  b.update(pool);
  const paths = Array.from({ length: 5000 }, (_, i) => `/img/${i}/file.png`);
  const before = paths.map((p) => b.pick({ clientIp: ip(1), path: `${p}?v=${p.length}` })!.name);
  paths.forEach((p, i) => assert.equal(b.pick({ clientIp: ip(i), path: p })!.name, before[i]));
  assert.equal(new Set(before).size, 5);
  b.update(pool.slice(0, 4));
  const after = paths.map((p) => b.pick({ clientIp: ip(1), path: p })!.name);
  const moved = after.filter((s, i) => s !== before[i]).length;
  assert.ok(moved / paths.length <= 2 / 5, `remapped ${moved / paths.length}`);
  // tcp mode has no path: round robin
  const tcp = countPicks(b, 400, () => ({ clientIp: '10.0.0.1' }));
  assert.deepEqual([...tcp.values()], [100, 100, 100, 100]);
});
