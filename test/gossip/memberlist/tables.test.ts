// Pure functions of SWIM/Lifeguard against memberlist's formulas, as tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, pushPullScale, retransmitLimit, suspicionTimeout } from '../../../src/gossip/memberlist/config.js';
import { expectedConfirmations, suspicionRemaining } from '../../../src/gossip/memberlist/suspicion.js';
import { Awareness } from '../../../src/gossip/memberlist/awareness.js';
import { BroadcastQueue } from '../../../src/gossip/memberlist/queue.js';

test('retransmit limit = mult × ceil(log10(n+1))', () => {
  for (const [mult, n, want] of [[4, 0, 0], [4, 1, 4], [4, 9, 4], [4, 10, 8], [4, 99, 8], [4, 100, 12], [2, 1000, 8]] as const) {
    assert.equal(retransmitLimit(mult, n), want, `mult=${mult} n=${n}`);
  }
});

test('suspicion timeout floor = mult × max(1, log10(n)) × interval', () => {
  for (const [mult, n, iv, want] of [[4, 1, 1000, 4000], [4, 10, 1000, 4000], [4, 100, 1000, 8000], [4, 1000, 1000, 12000], [6, 100, 5000, 60000]] as const) {
    assert.equal(suspicionTimeout(mult, n, iv), want);
  }
});

test('Lifeguard: confirmations shrink the suspicion timeout from max to min', () => {
  assert.equal(expectedConfirmations(4, 10), 2);
  assert.equal(expectedConfirmations(4, 3), 1);
  assert.equal(expectedConfirmations(4, 2), 0);
  assert.equal(suspicionRemaining(0, 3, 2000, 30000), 30000);
  assert.equal(suspicionRemaining(1, 3, 2000, 30000), 16000);
  assert.equal(suspicionRemaining(3, 3, 2000, 30000), 2000);
  assert.equal(suspicionRemaining(0, 0, 2000, 30000), 2000);
});

test('awareness scales timers and is clamped to [0, max-1]', () => {
  const a = new Awareness(8);
  assert.equal(a.apply(-1), 0);
  assert.equal(a.scale(500), 500);
  a.apply(3);
  assert.equal(a.scale(500), 2000);
  assert.equal(a.apply(100), 7);
  assert.equal(a.apply(-2), 5);
});

test('push/pull interval scales beyond 32 nodes', () => {
  for (const [n, want] of [[1, 30000], [32, 30000], [33, 60000], [64, 60000], [65, 90000], [128, 90000]] as const) {
    assert.equal(pushPullScale(30000, n), want);
  }
});

test('profiles carry memberlist\'s values', () => {
  assert.deepEqual([PROFILES.lan.probeIntervalMs, PROFILES.lan.probeTimeoutMs, PROFILES.lan.gossipIntervalMs, PROFILES.lan.suspicionMult], [1000, 500, 200, 4]);
  assert.deepEqual([PROFILES.wan.probeIntervalMs, PROFILES.wan.probeTimeoutMs, PROFILES.wan.gossipNodes, PROFILES.wan.suspicionMult], [5000, 3000, 4, 6]);
  assert.deepEqual([PROFILES.local.probeTimeoutMs, PROFILES.local.indirectChecks, PROFILES.local.gossipIntervalMs, PROFILES.local.retransmitMult], [200, 1, 100, 2]);
});

test('broadcast queue: retransmit limit, invalidation by name, packing within the limit', () => {
  let n = 1;
  const q = new BroadcastQueue({ retransmitMult: 2, numNodes: () => n });
  const done: string[] = [];
  q.queue({ name: 'x', message: Buffer.from('old-x'), finished: () => done.push('old-x') });
  q.queue({ name: 'x', message: Buffer.from('new-x') });
  assert.deepEqual(done, ['old-x']);
  q.queue({ name: 'y', message: Buffer.alloc(50, 1) });
  assert.equal(q.numQueued(), 2);
  // 5 + 2 fits within 10, the 50-byte one does not
  assert.deepEqual(q.getBroadcasts(2, 10).map(String), ['new-x']);
  assert.deepEqual(q.getBroadcasts(2, 10).map(String), ['new-x']); // limit 2·ceil(log10 2) = 2 sends
  assert.deepEqual(q.getBroadcasts(2, 10), []);
  assert.equal(q.numQueued(), 1);
  n = 20;
  q.queue({ name: 'z', message: Buffer.from('z') });
  q.prune(1);
  assert.equal(q.numQueued(), 1);
});
