// ActiveList: what a server's sessions and a frontend's connections are kept in. It must behave as a set, and,
// the reason it exists, keep nothing it no longer holds alive past a young-generation GC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ActiveList } from '../../src/proxy/engine/active-list.js';

interface Item {
  activeSlot: number;
  name: string;
}
const item = (name: string): Item => ({ activeSlot: -1, name });
const names = (l: ActiveList<Item>) => l.snapshot().map((i) => i.name).sort();

test('ActiveList: add, delete from any place, has, size, pop, and a snapshot that survives deletes while walked', () => {
  const l = new ActiveList<Item>();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
  for (const i of [a, b, c, d]) l.add(i);
  l.add(b); // twice: still once
  assert.equal(l.size, 4);
  assert.ok(l.delete(b)); // from the middle: the last item takes its place
  assert.ok(!l.delete(b));
  assert.ok(!l.has(b));
  assert.equal(b.activeSlot, -1);
  assert.deepEqual(names(l), ['a', 'c', 'd']);
  assert.ok(l.delete(d)); // the last one
  assert.ok(l.delete(a)); // the first one
  assert.deepEqual(names(l), ['c']);
  assert.ok(l.has(c));
  // An item in another list is not in this one, whatever its slot says.
  const other = new ActiveList<Item>();
  const e = item('e');
  other.add(e);
  assert.ok(!l.has(e));
  assert.ok(!l.delete(e));
  assert.ok(other.has(e));
  // Walking a snapshot while each visit deletes (as abort() does) reaches everything.
  for (const i of [a, b, d]) l.add(i);
  const seen: string[] = [];
  for (const i of l.snapshot()) {
    seen.push(i.name);
    l.delete(i);
  }
  assert.deepEqual(seen.sort(), ['a', 'b', 'c', 'd']);
  assert.equal(l.size, 0);
  // pop() takes the last one added: a stack (the idle pool).
  for (const i of [a, b, c]) l.add(i);
  assert.equal(l.pop(), c);
  assert.equal(c.activeSlot, -1);
  assert.ok(!l.has(c));
  assert.equal(l.pop(), b);
  assert.equal(l.pop(), a);
  assert.equal(l.pop(), undefined);
});

test('ActiveList: items it let go die young, where a Set churned the same way has them promoted', (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
  const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
  interface Payload {
    activeSlot: number;
    payload: number[];
  }
  // A long-lived container (promoted first, as a server's list is), then 40 000 items in and out of it, 20 at a
  // time, as requests come and go: how much reached the old generation?
  const promotedKiB = (container: { add(p: Payload): void; delete(p: Payload): boolean }, keep?: Payload[]) => {
    gc();
    const ring: Payload[] = [];
    const make = (): Payload => ({ activeSlot: -1, payload: new Array<number>(64).fill(0) });
    for (let i = 0; i < 20; i++) container.add((ring[i] = make()));
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    const before = oldSpaceUsed();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 2000; i++) {
        const k = i % 20;
        container.delete(ring[k]!);
        container.add((ring[k] = make()));
        if (keep && i % 10 === 0) keep.push(ring[k]!);
      }
      gc({ type: 'minor' });
    }
    return (oldSpaceUsed() - before) / 1024;
  };
  // The probe sees promotion: one item in ten kept for good is about 4000 * 0.5 KiB.
  const kept = promotedKiB(new ActiveList<Payload>(), []);
  const set = promotedKiB(new Set<Payload>());
  const list = promotedKiB(new ActiveList<Payload>());
  t.diagnostic(`promoted: ${kept.toFixed(0)} KiB when one item in ten is kept, ${set.toFixed(0)} KiB through a Set, ${list.toFixed(0)} KiB through an ActiveList`);
  assert.ok(kept > 1024, `keeping 4000 items promoted only ${kept.toFixed(0)} KiB: the probe does not work here`);
  assert.ok(list < 512, `${list.toFixed(0)} KiB of items the ActiveList had let go reached the old generation`);
});
