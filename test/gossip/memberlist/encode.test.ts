// Our encoders produce serf 0.9.4's exact bytes for every canonical sample (go-msgpack old spec, sorted fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePacket, encodeAck, encodeAlive, encodeCompound, encodeDead, encodeIndirectPing, encodeNack, encodePing, encodeSuspect, encodeUser,
  MsgType, type Message,
} from '../../../src/gossip/memberlist/codec.js';
import { fixtures } from '../../helpers/paths.js';

const messageHex = (name: string) =>
  Buffer.from((JSON.parse(readFileSync(join(fixtures, 'captures', 'plain', `${name}.json`), 'utf8')) as { message_hex: string }).message_hex, 'hex');

function reencode(m: Message): Buffer {
  switch (m.type) {
    case MsgType.Ping: return encodePing(m.body);
    case MsgType.IndirectPing: return encodeIndirectPing(m.body);
    case MsgType.Ack: return encodeAck(m.body);
    case MsgType.Nack: return encodeNack(m.body);
    case MsgType.Suspect: return encodeSuspect(m.body);
    case MsgType.Alive: return encodeAlive(m.body);
    case MsgType.Dead: return encodeDead(m.body);
    case MsgType.User: return encodeUser(m.body);
  }
}

for (const name of ['udp-ping', 'udp-ack', 'udp-alive', 'udp-suspect', 'udp-dead', 'udp-user']) {
  test(`${name}: decode then encode gives serf's bytes`, () => {
    const want = messageHex(name);
    const msgs = decodePacket(want);
    assert.equal(msgs.length, 1);
    assert.equal(reencode(msgs[0]!).toString('hex'), want.toString('hex'));
  });
}

test('udp-compound: a compound of re-encoded parts gives serf\'s bytes', () => {
  const want = messageHex('udp-compound');
  const parts = decodePacket(want).map(reencode);
  assert.ok(parts.length >= 2);
  assert.equal(encodeCompound(parts).toString('hex'), want.toString('hex'));
});
