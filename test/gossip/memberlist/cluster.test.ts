// A cluster of our memberlist nodes on 127.0.0.1: join, user messages, push/pull user state, failure detection,
// graceful leave, encryption (and a wrong key refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Memberlist, MemberlistDelegate, MemberNode } from '../../../src/gossip/memberlist/api.js';
import { createMemberlist } from '../../../src/gossip/memberlist/memberlist.js';
import { waitFor } from '../../helpers/wait.js';

interface Probe {
  ml: Memberlist;
  msgs: string[];
  remoteStates: string[];
  left: MemberNode[];
}

async function node(name: string, keys?: Buffer[]): Promise<Probe> {
  const p = { msgs: [], remoteStates: [], left: [] } as unknown as Probe;
  const delegate: MemberlistDelegate = {
    nodeMeta: () => Buffer.from(`meta-${name}`),
    notifyMsg: (m) => p.msgs.push(m.toString()),
    getBroadcasts: () => [],
    localState: () => Buffer.from(`state-of-${name}`),
    mergeRemoteState: (b) => p.remoteStates.push(b.toString()),
  };
  p.ml = await createMemberlist({
    name, bindAddr: '127.0.0.1', bindPort: 0, profile: 'local', probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 50,
    suspicionMult: 2, gossipToTheDeadTimeMs: 60_000, keys, delegate,
    events: { notifyJoin: () => {}, notifyLeave: (n) => p.left.push(n), notifyUpdate: () => {} },
  });
  return p;
}

const addr = (p: Probe) => `127.0.0.1:${p.ml.localNode().port}`;
const stateOf = (p: Probe, name: string) => p.ml.allNodes().find((n) => n.name === name)?.state;

test('three nodes converge, exchange user messages and state, detect a kill and a leave', async (t) => {
  const [a, b, c] = await Promise.all([node('a'), node('b'), node('c')]);
  t.after(() => Promise.all([a, b, c].map((p) => p.ml.shutdown())));
  assert.equal(await b.ml.join([addr(a)]), 1);
  await c.ml.join([addr(b)]);
  await waitFor('all three see three members', () => [a, b, c].every((p) => p.ml.numMembers() === 3), { timeoutMs: 15_000 });
  assert.ok(a.remoteStates.includes('state-of-b'), 'push/pull delivered user state');
  assert.equal(a.ml.members().find((n) => n.name === 'c')?.meta.toString(), 'meta-c');

  const cOnA = a.ml.members().find((n) => n.name === 'c')!;
  a.ml.sendBestEffort(cOnA, Buffer.from('hello udp'));
  await a.ml.sendReliable(cOnA, Buffer.from('hello tcp'));
  const big = 'x'.repeat(100_000); // too big for UDP: goes over TCP
  a.ml.sendBestEffort(cOnA, Buffer.from(big));
  await waitFor('c got the user messages', () => c.msgs.includes('hello udp') && c.msgs.includes('hello tcp') && c.msgs.includes(big), { timeoutMs: 10_000 });

  await c.ml.shutdown(); // no leave: must be found dead
  await waitFor('c seen dead', () => stateOf(a, 'c') === 'dead' && stateOf(b, 'c') === 'dead', { timeoutMs: 20_000 });
  assert.ok(a.left.some((n) => n.name === 'c' && n.state === 'dead'));

  await b.ml.leave(5000);
  await waitFor('b seen left', () => stateOf(a, 'b') === 'left', { timeoutMs: 10_000 });
  assert.equal(a.ml.numMembers(), 1);
});

test('encrypted cluster works; a node with the wrong key cannot join and its packets are counted as dropped', async (t) => {
  const key = Buffer.alloc(32, 7);
  const [a, b, bad] = await Promise.all([node('ea', [key]), node('eb', [Buffer.alloc(16, 1), key]), node('bad', [Buffer.alloc(16, 9)])]);
  t.after(() => Promise.all([a, b, bad].map((p) => p.ml.shutdown())));
  await b.ml.keyring().use(key);
  await b.ml.join([addr(a)]);
  await waitFor('encrypted pair converged', () => a.ml.numMembers() === 2 && b.ml.numMembers() === 2, { timeoutMs: 10_000 });
  await assert.rejects(bad.ml.join([addr(a)]));
  await waitFor('wrong-key stream dropped', () => a.ml.stats().streamsDropped >= 1, { timeoutMs: 10_000 });
  assert.equal(a.ml.numMembers(), 2);
  // Sent plain (no encryption) too: refused.
  const plain = await node('plain');
  t.after(() => plain.ml.shutdown());
  await assert.rejects(plain.ml.join([addr(a)]));
  assert.equal(a.ml.members().some((n) => n.name === 'plain' || n.name === 'bad'), false);
});

test('a node refutes suspect and dead messages about itself; labelled packets are read; address conflicts are refused', async (t) => {
  const { createSocket } = await import('node:dgram');
  const { encodeAlive, encodeDead, encodeSuspect } = await import('../../../src/gossip/memberlist/codec.js');
  const a = await node('ra');
  t.after(() => a.ml.shutdown());
  const udp = createSocket('udp4');
  t.after(() => udp.close());
  const port = a.ml.localNode().port;
  const send = (b: Buffer) => new Promise<void>((r) => udp.send(b, port, '127.0.0.1', () => r()));

  const inc0 = a.ml.localNode().incarnation;
  await send(encodeSuspect({ incarnation: inc0, node: 'ra', from: 'someone' }));
  await waitFor('refuted suspicion', () => a.ml.localNode().incarnation > inc0);
  const inc1 = a.ml.localNode().incarnation;
  await send(encodeDead({ incarnation: inc1, node: 'ra', from: 'someone' }));
  await waitFor('refuted death', () => a.ml.localNode().incarnation > inc1);
  assert.equal(a.ml.localNode().state, 'alive');
  assert.ok(a.ml.healthScore() >= 1, 'refuting raises the awareness score');

  // A label (type 244) in front of a packet, as memberlist 0.3+ sends when configured.
  const alive = encodeAlive({ incarnation: 1, node: 'ghost', addr: '127.0.0.1', port: 9, meta: Buffer.alloc(0), vsn: [1, 5, 2, 2, 5, 4] });
  await send(Buffer.concat([Buffer.from([244, 3]), Buffer.from('lab'), alive]));
  await waitFor('labelled alive read', () => a.ml.allNodes().some((n) => n.name === 'ghost'));
  // The same name from another address while alive is a conflict: ignored and counted.
  await send(encodeAlive({ incarnation: 5, node: 'ghost', addr: '127.0.0.2', port: 9, meta: Buffer.alloc(0), vsn: [1, 5, 2, 2, 5, 4] }));
  await waitFor('conflict counted', () => a.ml.stats().dropReasons['address conflict'] === 1);
  assert.equal(a.ml.allNodes().find((n) => n.name === 'ghost')?.addr, '127.0.0.1');
});

test('two nodes over IPv6 loopback join and see each other', async (t) => {
  const mk = (name: string) => createMemberlist({
    name, bindAddr: '::1', bindPort: 0, profile: 'local',
    delegate: { nodeMeta: () => Buffer.alloc(0), notifyMsg: () => {}, getBroadcasts: () => [], localState: () => Buffer.alloc(0), mergeRemoteState: () => {} },
    events: { notifyJoin: () => {}, notifyLeave: () => {}, notifyUpdate: () => {} },
  });
  const [a, b] = await Promise.all([mk('v6a'), mk('v6b')]);
  t.after(() => Promise.all([a.shutdown(), b.shutdown()]));
  await b.join([`[::1]:${a.localNode().port}`]);
  await waitFor('both see two members', () => a.numMembers() === 2 && b.numMembers() === 2);
  assert.equal(a.members().find((n) => n.name === 'v6b')?.addr, '::1');
});
