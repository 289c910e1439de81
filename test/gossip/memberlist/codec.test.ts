// memberlist codecs against real serf 0.9.4 packets (test/fixtures/captures, recorded from Debian's serf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePacket, decodePushPull, decompress, encodeAlive, encodePing, MsgType, type Message } from '../../../src/gossip/memberlist/codec.js';
import { fixtures } from '../../helpers/paths.js';

const dir = join(fixtures, 'captures', 'plain');
export const sample = (name: string) => Buffer.from(readFileSync(join(dir, `${name}.hex`), 'utf8').trim(), 'hex');
export const sampleJson = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { message_hex?: string; decoded: unknown };

test('crc + lzw + compound of two alives decodes, with tags in Meta', () => {
  const msgs = decodePacket(sample('udp-compress'));
  assert.equal(msgs.length, 2);
  const a = msgs[0] as Extract<Message, { type: MsgType.Alive }>;
  assert.equal(a.type, MsgType.Alive);
  assert.deepEqual({ ...a.body, meta: a.body.meta.toString('hex') }, { incarnation: 1, node: 'node-a', addr: '127.0.0.1', port: 30001, meta: 'ff82a4726f6c65a3776562a26463a36c6162', vsn: [1, 5, 2, 2, 5, 5] });
});

test('our alive encoding is byte-identical to serf\'s', () => {
  const want = sampleJson('udp-alive').message_hex!;
  const got = encodeAlive({ incarnation: 1, node: 'node-a', addr: '127.0.0.1', port: 30001, meta: Buffer.from('ff82a4726f6c65a3776562a26463a36c6162', 'hex'), vsn: [1, 5, 2, 2, 5, 5] });
  assert.equal(got.toString('hex'), want);
});

test('ping, ack, nack, suspect, dead, indirect ping decode', () => {
  const one = (name: string) => decodePacket(sample(name));
  const ping = one('udp-ping').find((m) => m.type === MsgType.Ping)!;
  assert.equal(typeof (ping.body as { seqNo: number }).seqNo, 'number');
  const ack = one('udp-ack').find((m) => m.type === MsgType.Ack) as Extract<Message, { type: MsgType.Ack }>;
  assert.equal(ack.body.payload[0], 1, 'serf ack payload starts with ping version 1');
  assert.ok(one('udp-nack').some((m) => m.type === MsgType.Nack));
  assert.ok(one('udp-suspect').some((m) => m.type === MsgType.Suspect));
  const dead = one('udp-dead').find((m) => m.type === MsgType.Dead) as Extract<Message, { type: MsgType.Dead }>;
  assert.equal(dead.body.node, 'node-b');
  const ind = one('udp-indirectPing').find((m) => m.type === MsgType.IndirectPing) as Extract<Message, { type: MsgType.IndirectPing }>;
  assert.equal(ind.body.target, '127.0.0.1');
  assert.ok(one('udp-user').some((m) => m.type === MsgType.User));
});

test('push/pull over TCP (compressed) decodes nodes and serf user state', () => {
  const raw = sample('tcp-pushpull-request');
  assert.equal(raw[0], MsgType.Compress);
  const plain = decompress(raw);
  assert.equal(plain[0], MsgType.PushPull);
  const pp = decodePushPull(plain, 1);
  assert.equal(pp.join, true);
  assert.equal(pp.nodes[0]!.name, 'node-b');
  assert.equal(pp.userState.length, 590);
  assert.equal(pp.userState[0], 2, 'serf pushPull message type');
});

test('encodePing round-trips', () => {
  const [m] = decodePacket(encodePing({ seqNo: 7, node: 'x', sourceAddr: '10.0.0.1', sourcePort: 7946, sourceNode: 'me' }));
  assert.deepEqual(m, { type: MsgType.Ping, body: { seqNo: 7, node: 'x', sourceAddr: '10.0.0.1', sourcePort: 7946, sourceNode: 'me' } });
});
