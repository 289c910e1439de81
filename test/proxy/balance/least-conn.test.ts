import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../../src/proxy/balance/index.js';
import { servers, type Srv } from './helpers.js';

const ctx = { clientIp: '10.0.0.1' };

test('leastconn: picks the server with the fewest active sessions', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, c: 1 });
  pool[0]!.active = 5;
  pool[1]!.active = 2;
  pool[2]!.active = 7;
  b.update(pool);
  assert.equal(b.pick(ctx)!.name, 'b');
  // active is read live: the engine bumps counters without calling update()
  pool[1]!.active = 9;
  assert.equal(b.pick(ctx)!.name, 'a');
});

test('leastconn: round robin among equally loaded servers', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, c: 1, d: 1 });
  pool[3]!.active = 1;
  b.update(pool);
  const seq = Array.from({ length: 6 }, () => b.pick(ctx)!.name).join(' ');
  assert.equal(seq, 'a b c a b c');
});

test('leastconn: load is relative to weight and sessions spread by weight', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers({ light: 1, heavy: 3 });
  pool[0]!.active = 1; // (1+1)/1 = 2
  pool[1]!.active = 4; // (4+1)/3 ≈ 1.67
  b.update(pool);
  assert.equal(b.pick(ctx)!.name, 'heavy');
  // sessions that never end: the heavy server ends up with about three times as many
  pool[0]!.active = 0;
  pool[1]!.active = 0;
  for (let i = 0; i < 400; i++) b.pick(ctx)!.active++;
  assert.ok(Math.abs(pool[1]!.active - 300) <= 2, `heavy has ${pool[1]!.active}`);
});

test('leastconn: accept() skips, weight 0 never picked, empty gives undefined', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, off: 0 });
  pool[1]!.active = 10;
  b.update(pool);
  assert.equal(b.pick(ctx, (s) => s.name !== 'a')!.name, 'b');
  for (let i = 0; i < 20; i++) assert.notEqual(b.pick(ctx)!.name, 'off');
  assert.equal(b.pick(ctx, () => false), undefined);
  b.update([]);
  assert.equal(b.pick(ctx), undefined);
});

test('leastconn with loadChanged(): heap picks a least loaded server through a random workload', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`s${i}`, 1 + (i % 4)])));
  pool[7]!.weight = 0;
  b.update(pool);
  assert.ok(b.loadChanged, 'leastconn accepts load notifications');
  b.loadChanged!(pool[0]!);
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const load = (s: Srv) => (s.active + 1) / s.weight;
  for (let step = 0; step < 5000; step++) {
    if (rand() < 0.6) {
      const s = b.pick(ctx)!;
      const min = Math.min(...pool.filter((x) => x.weight > 0).map(load));
      assert.ok(Math.abs(load(s) - min) < 1e-9, `step ${step}: picked ${s.name} at ${load(s)}, least is ${min}`);
      s.active++;
      b.loadChanged!(s);
    } else {
      const busy = pool.filter((x) => x.active > 0);
      if (busy.length === 0) continue;
      const s = busy[Math.floor(rand() * busy.length)]!;
      s.active--;
      b.loadChanged!(s);
    }
    if (step === 2500) b.update(pool.slice(0, 30)); // pool change in the middle keeps the heap right
    if (step === 2500) pool.splice(30);
  }
});

test('leastconn with loadChanged(): round robin among ties, accept() falls back to a scan', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, c: 1, d: 1 });
  pool[3]!.active = 1;
  b.update(pool);
  b.loadChanged!(pool[3]!);
  assert.equal(Array.from({ length: 6 }, () => b.pick(ctx)!.name).join(' '), 'a b c a b c');
  assert.equal(b.pick(ctx, (s) => s.name === 'd')!.name, 'd');
  assert.equal(b.pick(ctx, () => false), undefined);
  b.update([]);
  assert.equal(b.pick(ctx), undefined);
});
