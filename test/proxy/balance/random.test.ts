import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../../../src/proxy/balance/index.js';
import { assertShares, countPicks, servers, type Srv } from './helpers.js';

const ctx = { clientIp: '10.0.0.1' };

test('random(1): weighted random shares', () => {
  const b = createAlgorithm<Srv>({ algo: 'random', draws: 1 });
  const pool = servers({ a: 1, b: 3, c: 0, d: 6 });
  b.update(pool);
  const counts = countPicks(b, 20_000);
  assert.equal(counts.get('c'), undefined);
  assertShares(counts, pool, 0.1);
});

test('random(2): prefers the less loaded of two draws', () => {
  const b = createAlgorithm<Srv>({ algo: 'random', draws: 2 });
  const pool = servers({ busy: 1, idle: 1 });
  pool[0]!.active = 10;
  b.update(pool);
  const counts = countPicks(b, 4000);
  // busy wins only when both draws land on it: about 1/4
  const busy = (counts.get('busy') ?? 0) / 4000;
  assert.ok(busy > 0.15 && busy < 0.35, `busy share ${busy}`);
  // with equal load, shares follow weight
  pool[0]!.active = 0;
  assertShares(countPicks(b, 8000), pool, 0.1);
});

test('random: accept() skipping, all rejected and empty pool', () => {
  const b = createAlgorithm<Srv>({ algo: 'random', draws: 2 });
  b.update(servers({ a: 1, b: 1, c: 1 }));
  for (let i = 0; i < 500; i++) assert.equal(b.pick(ctx, (s) => s.name === 'c')!.name, 'c');
  assert.equal(b.pick(ctx, () => false), undefined);
  b.update([]);
  assert.equal(b.pick(ctx), undefined);
});
