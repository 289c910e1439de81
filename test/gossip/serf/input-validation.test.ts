// Issue 14 (part 3): gossip that names a node with an empty or oversized name, a bad address, port 0 or meta over
// memberlist's 512 bytes is dropped and counted by reason, never merged: raw UDP packets (plain, and encrypted
// with the cluster key) and a push/pull to a running serf node. None becomes a member or fires member-join, and
// a real peer joins fine afterwards.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { encodePushPull, MsgType, type PushNodeState } from '../../../src/gossip/memberlist/codec.js';
import { Keyring } from '../../../src/gossip/memberlist/keyring.js';
import { encode, type Pack } from '../../../src/wire/msgpack/index.js';
import { createSerf } from '../../../src/gossip/serf/serf.js';
import { encodeJoin, encodeTags } from '../../../src/gossip/serf/messages.js';
import type { Serf } from '../../../src/gossip/serf/api.js';
import { waitFor } from '../../helpers/wait.js';

const KEY = Buffer.from([...Array(32).keys()]);
const VSN = Buffer.from([1, 5, 2, 2, 5, 5]);

const alive = (fields: Record<string, Pack>) =>
  Buffer.concat([Buffer.from([MsgType.Alive]), encode({ Addr: Buffer.from([127, 0, 0, 1]), Incarnation: 1, Meta: encodeTags({ role: 'web' }), Node: 'x', Port: 7946, Vsn: VSN, ...fields })]);

/** Each packet, and the drop reason it must be counted under. */
const BAD_PACKETS: Array<[string, Buffer, string]> = [
  ['a 2-byte packet (an alive with nothing in it)', Buffer.from([MsgType.Alive, 0x80]), 'invalid node name'],
  ['an alive with an empty name', alive({ Node: '' }), 'invalid node name'],
  ['an alive with port 0', alive({ Node: 'port-zero', Port: 0 }), 'invalid port'],
  ['an alive with a port over 65535', alive({ Node: 'port-big', Port: 70_000 }), 'invalid port'],
  ['an alive with a 3-byte address', alive({ Node: 'addr-3', Addr: Buffer.from([127, 0, 0]) }), 'invalid address'],
  ['an alive with no address', alive({ Node: 'addr-0', Addr: null }), 'invalid address'],
  ['an alive with a 4 KiB name', alive({ Node: 'n'.repeat(4096) }), 'invalid node name'],
  ['an alive with a control character in its name', alive({ Node: 'web-1\n2026/01/01 [INFO] forged' }), 'invalid node name'],
  ['an alive with 600 bytes of meta', alive({ Node: 'meta-big', Meta: Buffer.alloc(600, 0x61) }), 'meta too large'],
  ['an alive with protocol range 0', alive({ Node: 'vsn-0', Vsn: Buffer.from([0, 0, 2, 2, 5, 5]) }), 'invalid protocol version'],
  ['a suspect about a 4 KiB name', Buffer.concat([Buffer.from([MsgType.Suspect]), encode({ From: 'x', Incarnation: 1, Node: 's'.repeat(4096) })]), 'invalid node name'],
  ['a dead from an empty name', Buffer.concat([Buffer.from([MsgType.Dead]), encode({ From: '', Incarnation: 1, Node: 'target' })]), 'invalid node name'],
];

/** How many of BAD_PACKETS each reason must count. */
const WANT = BAD_PACKETS.reduce<Record<string, number>>((acc, [, , r]) => ((acc[r] = (acc[r] ?? 0) + 1), acc), {});

async function target(t: TestContext, name: string, keys?: Buffer[]): Promise<{ serf: Serf; joins: string[] }> {
  const serf = await createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: 0, tags: { role: 'lb' }, profile: 'local', encryptKeys: keys?.map((k) => k.toString('base64')) });
  t.after(() => serf.shutdown());
  const joins: string[] = [];
  serf.subscribe((e) => void (e.type === 'member-join' && joins.push(...e.members.map((m) => m.name))));
  return { serf, joins };
}

async function sendAll(port: number, packets: Buffer[]): Promise<void> {
  const udp = createSocket('udp4');
  try {
    for (const p of packets) await new Promise<void>((r) => udp.send(p, port, '127.0.0.1', () => r()));
  } finally {
    udp.close();
  }
}

/** After the bad input: a real peer joins, and it is the only member-join seen. */
async function peerJoins(t: TestContext, node: { serf: Serf; joins: string[] }, peerName: string, keys?: Buffer[]): Promise<void> {
  const peer = await createSerf({ nodeName: peerName, bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local', encryptKeys: keys?.map((k) => k.toString('base64')) });
  t.after(() => peer.shutdown());
  await peer.join([`127.0.0.1:${node.serf.localMember().port}`]);
  await waitFor('the peer is alive on both sides', () => [node.serf, peer].every((s) => s.members().filter((m) => m.status === 'alive').length === 2));
  assert.deepEqual(node.joins, [peerName], 'member-join fired for the real peer only');
}

for (const encrypted of [false, true]) {
  test(`bad node records over UDP (${encrypted ? 'encrypted with the cluster key' : 'plain'}) are dropped and counted by reason, never members`, async (t) => {
    const keys = encrypted ? [KEY] : undefined;
    const node = await target(t, encrypted ? 'enc-target' : 'plain-target', keys);
    const ring = new Keyring(keys ?? []);
    const wrap = (p: Buffer) => (encrypted ? ring.encrypt(p) : p);
    // A serf join intent under a 4 KiB name (a user message), counted by the serf layer.
    const intent = Buffer.concat([Buffer.from([MsgType.User]), encodeJoin({ ltime: 5, node: 'j'.repeat(4096) })]);
    await sendAll(node.serf.localMember().port, [...BAD_PACKETS.map(([, p]) => wrap(p)), wrap(intent)]);

    await waitFor('every bad packet counted under its reason', () => {
      const s = node.serf.stats();
      return Object.entries(WANT).every(([r, n]) => (s.memberlist.dropReasons[r] ?? 0) >= n) && (s.serfDropReasons['invalid node name'] ?? 0) >= 1;
    });
    const s = node.serf.stats();
    for (const [reason, n] of Object.entries(WANT)) assert.equal(s.memberlist.dropReasons[reason], n, reason);
    assert.equal(s.memberlist.packetsDropped, BAD_PACKETS.length);
    assert.deepEqual(node.serf.members().map((m) => m.name), [node.serf.localMember().name], 'nothing merged');
    assert.deepEqual(node.joins, []);
    await peerJoins(t, node, encrypted ? 'enc-peer' : 'plain-peer', keys);
  });
}

test('a push/pull whose node states break the limits: those states are dropped and counted, the good one merged', async (t) => {
  const node = await target(t, 'pp-target');
  const state = (over: Partial<PushNodeState>): PushNodeState => ({ name: 'x', addr: '127.0.0.1', port: 7946, meta: encodeTags({}), incarnation: 1, state: 0, vsn: [...VSN], ...over });
  const nodes = [
    state({ name: '' }),
    state({ name: 'k'.repeat(4096) }),
    state({ name: 'pp-port', port: 0 }),
    state({ name: 'pp-meta', meta: Buffer.alloc(513) }),
    state({ name: 'pp-good', port: 1 }), // merged: alive until probes fail
  ];
  const stream = encodePushPull({ join: false, nodes, userState: Buffer.alloc(0) });
  await new Promise<void>((resolve, reject) => {
    const c = connect(node.serf.localMember().port, '127.0.0.1', () => c.write(stream));
    c.on('data', () => c.end());
    c.on('close', () => resolve());
    c.on('error', reject);
  });
  await waitFor('the good state merged', () => node.joins.includes('pp-good'));
  const reasons = node.serf.stats().memberlist.dropReasons;
  assert.equal(reasons['invalid node name'], 2);
  assert.equal(reasons['invalid port'], 1);
  assert.equal(reasons['meta too large'], 1);
  assert.equal(node.serf.stats().memberlist.streamsDropped, 0, 'the stream itself was fine');
  assert.deepEqual(node.joins, ['pp-good']);
  assert.deepEqual(node.serf.members().map((m) => m.name).sort(), ['pp-good', 'pp-target']);
});

test('our own node: a name over 128 bytes or tags over 512 bytes are refused before anything binds', async () => {
  const base = { bindAddr: '127.0.0.1', bindPort: 0, profile: 'local' as const };
  await assert.rejects(createSerf({ ...base, nodeName: 'n'.repeat(129), tags: {} }), (e: Error & { code?: string }) => e.code === 'LBA_ERR_INVALID_NODE' && /Node name is 129 characters/.test(e.message));
  await assert.rejects(createSerf({ ...base, nodeName: '', tags: {} }), /Node name is empty/);
  await assert.rejects(createSerf({ ...base, nodeName: 'ok', tags: { big: 'x'.repeat(600) } }), /Encoded length of tags exceeds limit of 512 bytes/);
});
