import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../../src/proxy/balance/index.js';
import { assertShares, countPicks, servers, type Srv } from './helpers.js';

const ctx = { clientIp: '10.0.0.1' };

test('roundrobin: exact weighted shares over whole periods, smoothly interleaved', () => {
  const b = createAlgorithm<Srv>({ algo: 'roundrobin' });
  const pool = servers({ a: 5, b: 1, c: 1 });
  b.update(pool);
  const seq = Array.from({ length: 7 }, () => b.pick(ctx)!.name);
  assert.deepEqual(seq.filter((n) => n === 'a').length, 5);
  // smooth: the heavy server never takes more than 3 turns in a row in this pool
  assert.ok(!seq.join('').includes('aaaa'), seq.join(''));
  const counts = countPicks(b, 7000);
  assert.deepEqual([counts.get('a'), counts.get('b'), counts.get('c')], [5000, 1000, 1000]);
});

test('roundrobin: weight 0 is never picked; all zero or empty gives undefined', () => {
  const b = createAlgorithm<Srv>({ algo: 'roundrobin' });
  b.update(servers({ a: 1, z: 0, b: 3 }));
  const counts = countPicks(b, 400);
  assert.equal(counts.get('z'), undefined);
  assert.equal(counts.get('a'), 100);
  b.update(servers({ z: 0 }));
  assert.equal(b.pick(ctx), undefined);
  b.update([]);
  assert.equal(b.pick(ctx), undefined);
  assert.equal(createAlgorithm<Srv>({ algo: 'roundrobin' }).pick(ctx), undefined);
});

test('roundrobin: weight changes mid-stream take effect at once', () => {
  const b = createAlgorithm<Srv>({ algo: 'roundrobin' });
  b.update(servers({ a: 1, b: 1 }));
  const before = countPicks(b, 1001);
  assert.ok(Math.abs((before.get('a') ?? 0) - (before.get('b') ?? 0)) <= 1);
  const pool = servers({ a: 3, b: 1 });
  b.update(pool);
  assertShares(countPicks(b, 4000), pool, 0.01);
  const heavier = servers({ a: 1, b: 9 });
  b.update(heavier);
  assertShares(countPicks(b, 1000), heavier, 0.01);
});

test('roundrobin: accept() skips rejected servers and keeps the others in proportion', () => {
  const b = createAlgorithm<Srv>({ algo: 'roundrobin' });
  const pool = servers({ a: 2, full: 5, c: 1 });
  b.update(pool);
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const s = b.pick(ctx, (s) => s.name !== 'full')!;
    counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  }
  assert.equal(counts.get('full'), undefined);
  assert.equal(counts.get('a'), 2000);
  assert.equal(counts.get('c'), 1000);
  assert.equal(b.pick(ctx, () => false), undefined);
});

test('static-rr: servers in listed order, each for as many rounds as its weight', () => {
  const b = createAlgorithm<Srv>({ algo: 'static-rr' });
  b.update(servers({ a: 3, b: 1, c: 2 }));
  const seq = Array.from({ length: 12 }, () => b.pick(ctx)!.name).join(' ');
  assert.equal(seq, 'a b c a c a a b c a c a');
  const eq = createAlgorithm<Srv>({ algo: 'static-rr' });
  eq.update(servers({ s1: 1, s2: 1, s3: 1 }));
  assert.equal(Array.from({ length: 6 }, () => eq.pick(ctx)!.name).join(' '), 's1 s2 s3 s1 s2 s3');
  const pool = servers({ a: 7, b: 2, c: 0, d: 1 });
  b.update(pool);
  assertShares(countPicks(b, 1000), pool, 0);
  assert.equal(b.pick(ctx, (s) => s.name === 'd')!.name, 'd');
});

test('roundrobin pick() does not allocate per call (heap stays flat over 1e6 picks)', () => {
  const b = createAlgorithm<Srv>({ algo: 'roundrobin' });
  b.update(servers(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, 1 + (i % 7)]))));
  const accept = (s: Srv) => s.active < 100;
  for (let i = 0; i < 100_000; i++) b.pick(ctx, accept); // warm up the JIT
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) b.pick(ctx, accept);
  const grown = process.memoryUsage().heapUsed - before;
  // a single 16-byte allocation per pick would be 16 MB; allow GC noise well below that
  assert.ok(grown < 4_000_000, `heap grew ${grown} bytes`);
});
