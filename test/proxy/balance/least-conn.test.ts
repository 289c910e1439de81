import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import { servers, type Srv } from './helpers.js';

const ctx = { clientIp: '10.0.0.1' };

test('leastconn: picks the server with the fewest active sessions', () => {
  const b = createBalancer<Srv>({ algo: 'leastconn' });
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
  const b = createBalancer<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, c: 1, d: 1 });
  pool[3]!.active = 1;
  b.update(pool);
  const seq = Array.from({ length: 6 }, () => b.pick(ctx)!.name).join(' ');
  assert.equal(seq, 'a b c a b c');
});

test('leastconn: load is relative to weight and sessions spread by weight', () => {
  const b = createBalancer<Srv>({ algo: 'leastconn' });
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
  const b = createBalancer<Srv>({ algo: 'leastconn' });
  const pool = servers({ a: 1, b: 1, off: 0 });
  pool[1]!.active = 10;
  b.update(pool);
  assert.equal(b.pick(ctx, (s) => s.name !== 'a')!.name, 'b');
  for (let i = 0; i < 20; i++) assert.notEqual(b.pick(ctx)!.name, 'off');
  assert.equal(b.pick(ctx, () => false), undefined);
  b.update([]);
  assert.equal(b.pick(ctx), undefined);
});
