// Slow start (HAProxy's `slowstart`): the ramp math, and how each algorithm follows a warming server's eweight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm, nextStepAt, SLOWSTART_STEPS, warmFraction, warmMaxconn, type BalanceSpec } from '../../../src/proxy/balance/index.js';
import { integerWeights, MAX_SCALED_TOTAL } from '../../../src/proxy/balance/weights.js';
import { countPicks, ip, type Srv } from './helpers.js';

test('warmFraction: linear in 20 steps from 1/20 to full at the slowstart time', () => {
  const ss = 4000;
  assert.equal(warmFraction(0, ss), 1 / SLOWSTART_STEPS); // never 0: HAProxy starts at the smallest weight
  assert.equal(warmFraction(199, ss), 1 / 20);
  assert.equal(warmFraction(200, ss), 1 / 20);
  assert.equal(warmFraction(400, ss), 2 / 20);
  assert.equal(warmFraction(1000, ss), 5 / 20);
  assert.equal(warmFraction(2000, ss), 10 / 20);
  assert.equal(warmFraction(3999, ss), 19 / 20);
  assert.equal(warmFraction(4000, ss), 1);
  assert.equal(warmFraction(1e9, ss), 1);
  // off, or a clock that went backwards: full speed / the first step
  assert.equal(warmFraction(10, 0), 1);
  assert.equal(warmFraction(-50, ss), 1 / 20);
  // monotonic
  let last = 0;
  for (let t = 0; t <= ss; t += 37) {
    const f = warmFraction(t, ss);
    assert.ok(f >= last, `not monotonic at ${t}`);
    last = f;
  }
  // a tiny slowstart still steps no faster than every 10 ms
  assert.equal(warmFraction(5, 50), 1 / 20);
  assert.equal(warmFraction(25, 50), 0.4);
});

test('nextStepAt: the next boundary, the end of the ramp at most', () => {
  assert.equal(nextStepAt(1000, 4000, 1000), 1200);
  assert.equal(nextStepAt(1000, 4000, 1199), 1200);
  assert.equal(nextStepAt(1000, 4000, 1200), 1400);
  assert.equal(nextStepAt(1000, 4000, 4900), 5000);
  assert.equal(nextStepAt(1000, 4000, 9000), 5000);
});

test('warmMaxconn: from 1 to the full limit; unlimited stays unlimited', () => {
  assert.equal(warmMaxconn(100, 1 / 20), 5);
  assert.equal(warmMaxconn(10, 1 / 20), 1);
  assert.equal(warmMaxconn(100, 0.5), 50);
  assert.equal(warmMaxconn(100, 1), 100);
  assert.equal(warmMaxconn(0, 0.05), 0);
});

test('integerWeights: integers pass as they are; a ramp scales the tier so fractions survive', () => {
  assert.deepEqual([...integerWeights([3, 1, 0])], [3, 1, 0]);
  assert.deepEqual([...integerWeights([1, 0.05])], [20, 1]);
  assert.deepEqual([...integerWeights([2, 1, 0.5, 0])], [40, 20, 10, 0]);
  // a large tier is scaled less, to stay within the cap; a warming server keeps at least one turn
  const big = integerWeights([...Array.from({ length: 30 }, () => 256), 0.5]);
  assert.equal(big[0], 256 * 8);
  assert.ok(big.reduce((a, b) => a + b, 0) <= MAX_SCALED_TOTAL);
  assert.equal(big[30], 4);
  // past the cap it is not scaled at all
  const huge = integerWeights([...Array.from({ length: 300 }, () => 256), 0.01]);
  assert.equal(huge[0], 256);
  assert.equal(huge[300], 1);
});

function warmPool(fraction: number, weight = 1): Srv[] {
  return [
    { name: 'warm', weight, active: 0 },
    { name: 'new', weight, eweight: weight * fraction, active: 0 } as Srv,
  ];
}

const share = (counts: Map<string, number>, name: string) => (counts.get(name) ?? 0) / [...counts.values()].reduce((a, b) => a + b, 0);

for (const spec of [{ algo: 'roundrobin' }, { algo: 'random', draws: 1 }, { algo: 'source' }, { algo: 'uri' }] as BalanceSpec[]) {
  test(`${spec.algo}: a warming server gets its eweight's share, the full one once warm`, () => {
    const b = createAlgorithm<Srv>(spec);
    const ctx = (i: number) => ({ clientIp: ip(i), path: `/item/${i}` });
    // weight 8: enough ring points that the hashes' shares are close to their weights
    for (const f of [0.05, 0.25, 0.5, 1]) {
      b.update(warmPool(f, 8));
      const got = share(countPicks(b, 20_000, ctx), 'new');
      const want = f / (1 + f);
      // roundrobin is exact; random and the hash rings are statistical (a ring's points carry some noise)
      const tol = spec.algo === 'roundrobin' ? 0.002 : 0.05;
      assert.ok(Math.abs(got - want) <= tol, `${spec.algo} at ${f}: share ${got.toFixed(3)}, want ${want.toFixed(3)}`);
    }
  });
}

test('source: a warming server only takes keys from others, more with each step (consistent hash)', () => {
  const b = createAlgorithm<Srv>({ algo: 'source' });
  const owners = (f: number) => {
    b.update(warmPool(f));
    return Array.from({ length: 5000 }, (_, i) => b.pick({ clientIp: ip(i) })!.name);
  };
  const early = owners(0.1);
  const late = owners(0.6);
  // every key the new server had early it still has later: keys only move towards it during the ramp
  early.forEach((o, i) => {
    if (o === 'new') assert.equal(late[i], 'new', `key ${i} moved away from the warming server`);
  });
  assert.ok(late.filter((o) => o === 'new').length > early.filter((o) => o === 'new').length);
});

test('static-rr ignores eweight (HAProxy: static algorithms do not slow-start)', () => {
  const b = createAlgorithm<Srv>({ algo: 'static-rr' });
  assert.equal(b.dynamic, false);
  b.update(warmPool(0.05));
  const counts = countPicks(b, 1000);
  assert.equal(counts.get('new'), 500);
});

test('leastconn: at equal load the warm server wins; the warming one takes a share once others are busy', () => {
  const b = createAlgorithm<Srv>({ algo: 'leastconn' });
  const pool = warmPool(0.25);
  b.update(pool);
  assert.equal(b.pick({ clientIp: '1' })!.name, 'warm');
  // (active+1)/weight: warm 4/1 against new 1/0.25 is a tie; at 5 sessions the warming server is lighter
  (pool[0] as { active: number }).active = 4;
  b.update(pool);
  (pool[0] as { active: number }).active = 5;
  assert.equal(b.pick({ clientIp: '1' })!.name, 'new');
});
