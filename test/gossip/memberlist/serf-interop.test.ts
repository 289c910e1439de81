// Interop with a real `serf agent` (Debian serf 0.9.4, memberlist 0.2.x): our node joins it, serf lists us alive
// (our push/pull and alive message were accepted), and probes both ways parse; plain and encrypted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { MemberNode } from '../../../src/gossip/memberlist/api.js';
import { createMemberlist } from '../../../src/gossip/memberlist/memberlist.js';
import { encode } from '../../../src/wire/msgpack/index.js';
import { serfMembers, startSerfAgent } from '../../helpers/serf.js';
import { waitFor } from '../../helpers/wait.js';
import { needTool } from '../../helpers/tools.js';

const run = promisify(execFile);


for (const encrypted of [false, true]) {
  test(`a real serf agent lists our memberlist node alive (${encrypted ? 'AES-256' : 'plain'})`, { timeout: 60_000 }, async (t) => {
    if (!needTool(t, 'serf')) return;
    const key = randomBytes(32);
    const { bind, rpc } = await startSerfAgent(t, 'serf-x', encrypted ? [`-encrypt=${key.toString('base64')}`] : []);

    const pings: { node: MemberNode; payload: Buffer }[] = [];
    const ml = await createMemberlist({
      name: 'ours', bindAddr: '127.0.0.1', bindPort: 0, profile: 'lan', keys: encrypted ? [key] : undefined,
      delegateProtocolMin: 2, delegateProtocolMax: 5, delegateProtocolVersion: 4,
      delegate: {
        // serf's tags: a magic 0xff byte, then the msgpack map
        nodeMeta: () => Buffer.concat([Buffer.from([0xff]), encode({ role: 'web' })]),
        notifyMsg: () => {},
        getBroadcasts: () => [],
        localState: () => Buffer.alloc(0),
        mergeRemoteState: () => {},
        notifyPingComplete: (node, _rtt, payload) => pings.push({ node, payload }),
      },
      events: { notifyJoin: () => {}, notifyLeave: () => {}, notifyUpdate: () => {} },
    });
    t.after(() => ml.shutdown());

    assert.equal(await ml.join([`127.0.0.1:${bind}`]), 1);
    const serfNode = ml.members().find((n) => n.name === 'serf-x');
    assert.ok(serfNode, 'serf node learned by push/pull');
    assert.deepEqual(serfNode.vsn.slice(0, 3), [1, 5, 2]);
    const line = await waitFor('serf lists us alive', async () => (await serfMembers(rpc)).split('\n').find((l) => /^ours\s+127\.0\.0\.1:\d+\s+alive\s+role=web/.test(l)));
    assert.match(line, new RegExp(`127\\.0\\.0\\.1:${ml.localNode().port}`));
    // Our probe of serf got its ack (serf's ping delegate payload starts with its version byte 1).
    const ping = await waitFor('an ack from serf', () => pings.find((p) => p.node.name === 'serf-x'), { timeoutMs: 20_000 });
    assert.equal(ping.payload[0], 1);
    // serf's own join to us: its (compressed) push/pull stream is read and answered.
    await run('serf', ['join', `-rpc-addr=127.0.0.1:${rpc}`, `127.0.0.1:${ml.localNode().port}`]);
    // serf probes us too; nothing it sent was dropped.
    await waitFor('packets from serf', () => ml.stats().packetsReceived >= 3, { timeoutMs: 20_000 });
    assert.equal(ml.stats().packetsDropped, 0, JSON.stringify(ml.stats().dropReasons));
    assert.equal(ml.stats().streamsDropped, 0, JSON.stringify(ml.stats().dropReasons));

    // Our memberlist-level leave (dead message from ourselves) is accepted; without serf's own leave intent,
    // serf reports such a member as failed (serf says left only after a leave intent, which is the serf layer's).
    await ml.leave(5000);
    await waitFor('serf sees us gone', async () => /^ours\s+\S+\s+failed/m.test(await serfMembers(rpc)), { timeoutMs: 20_000 });
  });
}

test('a killed serf agent is found dead by our node (probe, indirect/TCP fallback, suspicion timeout)', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const { bind, rpc, proc } = await startSerfAgent(t, 'serf-k');
  const left: MemberNode[] = [];
  const ml = await createMemberlist({
    name: 'watcher', bindAddr: '127.0.0.1', bindPort: 0, profile: 'local', probeIntervalMs: 200, probeTimeoutMs: 100,
    delegateProtocolMin: 2, delegateProtocolMax: 5, delegateProtocolVersion: 4,
    delegate: { nodeMeta: () => Buffer.concat([Buffer.from([0xff]), encode({})]), notifyMsg: () => {}, getBroadcasts: () => [], localState: () => Buffer.alloc(0), mergeRemoteState: () => {} },
    events: { notifyJoin: () => {}, notifyLeave: (n) => left.push(n), notifyUpdate: () => {} },
  });
  t.after(() => ml.shutdown());
  await ml.join([`127.0.0.1:${bind}`]);
  await waitFor('serf lists the watcher', async () => /^watcher\s+\S+\s+alive/m.test(await serfMembers(rpc)));
  proc.kill('SIGKILL');
  await waitFor('serf-k dead', () => left.find((n) => n.name === 'serf-k' && n.state === 'dead'), { timeoutMs: 30_000 });
  assert.equal(ml.numMembers(), 1);
});
