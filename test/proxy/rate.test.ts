import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateCounter } from '../../src/proxy/observe/rate.js';

test('rate over the last second, as HAProxy freq_ctr: previous second weighted by what is left of it', () => {
  const r = new RateCounter();
  const t0 = 1_000_000_000_000; // a second boundary
  for (let i = 0; i < 10; i++) r.hit(t0 + i * 10);
  assert.equal(r.rate(t0 + 500), 10);
  assert.equal(r.rate(t0 + 1000), 10); // next second starts: all of the previous second counts
  assert.equal(r.rate(t0 + 1500), 5); // half of it is still in the window
  assert.equal(r.rate(t0 + 3000), 0); // a quiet second in between: nothing left
  assert.equal(r.max, 10);
});
