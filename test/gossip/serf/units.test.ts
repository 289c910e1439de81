import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LamportClock } from '../../../src/gossip/serf/lamport.js';
import { Coalescer } from '../../../src/gossip/serf/coalesce.js';
import type { SerfEvent, SerfMember } from '../../../src/gossip/serf/api.js';
import { waitFor } from '../../helpers/wait.js';

test('lamport clock: increment and witness table', () => {
  const c = new LamportClock();
  const rows: [op: 'inc' | number, expected: number][] = [['inc', 1], [5, 6], [3, 6], [6, 7], ['inc', 8], [0, 8]];
  for (const [op, expected] of rows) {
    if (op === 'inc') c.increment(); else c.witness(op);
    assert.equal(c.time(), expected, `after ${op}`);
  }
});

const member = (name: string, status: SerfMember['status'] = 'alive') => ({ name, status } as unknown as SerfMember);

test('member coalescer keeps the latest event per member and drops repeats', async () => {
  const out: SerfEvent[] = [];
  const c = new Coalescer('member', { quantumMs: 5000, quiescentMs: 30 }, (e) => out.push(e));
  c.add({ type: 'member-join', members: [member('a'), member('b')] } as SerfEvent);
  c.add({ type: 'member-failed', members: [member('a', 'failed')] } as SerfEvent);
  await waitFor('both coalesced member events', () => out.length >= 2);
  const byType = Object.fromEntries(out.map((e) => [e.type, 'members' in e ? e.members.map((m) => m.name) : []]));
  assert.deepEqual(byType, { 'member-failed': ['a'], 'member-join': ['b'] });
  out.length = 0;
  c.add({ type: 'member-join', members: [member('b')] } as SerfEvent);
  c.flush();
  assert.equal(out.length, 0, 'a second join of b is a repeat');
  c.stop();
});

test('user coalescer keeps the newest event per name', () => {
  const out: SerfEvent[] = [];
  const c = new Coalescer('user', { quantumMs: 5000, quiescentMs: 5000 }, (e) => out.push(e));
  const ev = (name: string, ltime: number) => ({ type: 'user', name, ltime, payload: Buffer.from(String(ltime)), coalesce: true }) as unknown as SerfEvent;
  c.add(ev('deploy', 3));
  c.add(ev('deploy', 7));
  c.add(ev('deploy', 5));
  c.add(ev('pause', 1));
  c.flush();
  c.stop();
  assert.deepEqual(out.map((e) => e.type === 'user' ? [e.name, e.ltime] : []), [['deploy', 7], ['pause', 1]]);
});
