// The serf layer on real UDP/TCP sockets: a 50-node cluster converges and one user event reaches every node once;
// a node that joins late gets earlier events only with replay; tag updates and leave propagate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSerf } from '../../../src/gossip/serf/serf.js';
import type { Serf, SerfEvent } from '../../../src/gossip/serf/api.js';
import { waitFor } from '../../helpers/wait.js';

async function node(t: import('node:test').TestContext, name: string, tags: Record<string, string> = {}): Promise<Serf> {
  const s = await createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: 0, tags, profile: 'local' });
  t.after(() => s.shutdown());
  return s;
}

const addr = (s: Serf) => `127.0.0.1:${s.localMember().port}`;

test('50 nodes converge and one user event reaches all of them exactly once', async (t) => {
  const N = 50;
  const nodes: Serf[] = [];
  for (let i = 0; i < N; i++) nodes.push(await node(t, `n${i}`, { role: i % 2 ? 'web' : 'api' }));
  const seen = nodes.map(() => [] as string[]);
  nodes.forEach((s, i) => s.subscribe((e) => void (e.type === 'user' && seen[i]!.push(`${e.name}:${e.payload}`))));
  // Each joins through a random earlier node, as app servers join through any balancer.
  for (let i = 1; i < N; i++) await nodes[i]!.join([addr(nodes[Math.floor(Math.random() * i)]!)]);
  await waitFor('every node sees 50 alive members', () => nodes.every((s) => s.members().filter((m) => m.status === 'alive').length === N), { timeoutMs: 60_000 });
  await nodes[17]!.userEvent('deploy', Buffer.from('v2'), false);
  await waitFor('the event reached all 50', () => seen.every((s) => s.length >= 1), { timeoutMs: 30_000 });
  // Give duplicates a chance to show up, then check there were none.
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(seen.every((s) => s.length === 1 && s[0] === 'deploy:v2'), 'delivered exactly once everywhere');
});

test('a late joiner gets earlier events only with replay; tags update and leave propagate', async (t) => {
  const a = await node(t, 'a', { role: 'lb' });
  const b = await node(t, 'b', { role: 'web' });
  await b.join([addr(a)]);
  await b.userEvent('pause', Buffer.from('b 127.0.0.1 web'), false);
  await waitFor('a has the event', () => a.stats().eventTime > 1);
  const plain = await node(t, 'c');
  const replay = await node(t, 'd');
  const got = (s: Serf) => {
    const list: SerfEvent[] = [];
    s.subscribe((e) => void list.push(e));
    return list;
  };
  const cEvents = got(plain);
  const dEvents = got(replay);
  await plain.join([addr(a)], false);
  await replay.join([addr(a)], true);
  await waitFor('d replayed the pause', () => dEvents.some((e) => e.type === 'user' && e.name === 'pause' && e.replayed));
  assert.ok(!cEvents.some((e) => e.type === 'user'), 'no replay without -replay');
  const updates: string[] = [];
  a.subscribe((e) => void (e.type === 'member-update' && updates.push(e.members[0]!.tags.role!)));
  await b.setTags({ role: 'api' });
  await waitFor('member-update with the new role', () => updates.includes('api'));
  await b.leave();
  await waitFor('b left at a', () => a.members().find((m) => m.name === 'b')?.status === 'left');
});

test('a node shut down without leave is failed, then reaped; queries are answered', async (t) => {
  const fast = { reapIntervalMs: 200, reconnectTimeoutMs: 1500, reconnectIntervalMs: 300 };
  const a = await createSerf({ nodeName: 'ka', bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local', ...fast });
  t.after(() => a.shutdown());
  const b = await createSerf({ nodeName: 'kb', bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local', ...fast });
  let bDown = false;
  t.after(() => (bDown ? undefined : b.shutdown()));
  b.subscribe((e) => void (e.type === 'query' && e.name === 'whoami' && e.respond(Buffer.from('kb'))));
  await b.join([addr(a)]);
  await waitFor('a sees kb alive', () => a.members().find((m) => m.name === 'kb')?.status === 'alive');
  const answers = await a.query('whoami', Buffer.alloc(0), { timeoutMs: 3000 });
  assert.deepEqual(answers.map((r) => r.payload.toString()), ['kb']);
  const types: string[] = [];
  a.subscribe((e) => void (e.type !== 'user' && e.type !== 'query' && e.members.some((m) => m.name === 'kb') && types.push(e.type)));
  bDown = true;
  await b.shutdown();
  await waitFor('kb failed at a', () => types.includes('member-failed'), { timeoutMs: 30_000 });
  await waitFor('kb reaped at a', () => types.includes('member-reap') && !a.members().some((m) => m.name === 'kb'), { timeoutMs: 30_000 });
});

test('force-leave, then a prune right after, reaches a member that learned the leave by push/pull', async (t) => {
  // Frequent push/pull: b learns c's leave both from the broadcast intent and from a's state.
  const make = async (name: string) => {
    const s = await createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local', memberlist: { pushPullIntervalMs: 200 } });
    t.after(() => s.shutdown());
    return s;
  };
  const [a, b, c] = [await make('pa'), await make('pb'), await make('pc')];
  await b.join([addr(a)]);
  await c.join([addr(a)]);
  const status = (s: Serf, name: string) => s.members().find((m) => m.name === name)?.status;
  await waitFor('all three alive everywhere', () => [a, b].every((s) => status(s, 'pc') === 'alive' && status(s, 'pa') === 'alive' && status(s, 'pb') === 'alive'));
  await c.shutdown();
  await waitFor('pc failed at a and b', () => status(a, 'pc') === 'failed' && status(b, 'pc') === 'failed', { timeoutMs: 30_000 });
  await a.forceLeave('pc');
  await waitFor('pc left at b', () => status(b, 'pc') === 'left');
  // A few push/pull rounds (every 200 ms) carry each one's view of pc to the other. As in serf, merging a left
  // member's state keeps its leave time: the Lamport clocks do not climb with every round.
  const clocks = () => [a.stats().memberTime, b.stats().memberTime];
  const before = clocks();
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(clocks(), before, 'member clocks moved with no intent sent');
  await a.forceLeave('pc', true);
  await waitFor('pc pruned at a and b', () => status(a, 'pc') === undefined && status(b, 'pc') === undefined, { timeoutMs: 10_000 });
});
