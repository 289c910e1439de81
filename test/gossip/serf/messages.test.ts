// serf message codecs against real serf 0.9.4 captures, and a fuzz pass over them: malformed input only ever
// raises DecodeError (dropped and counted by the caller), never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodePacket, MsgType } from '../../../src/gossip/memberlist/codec.js';
import { DecodeError } from '../../../src/wire/msgpack/index.js';
import { decodeSerf, decodeTags, encodeTags, encodeUserEvent, SerfMsg } from '../../../src/gossip/serf/messages.js';
import { fixtures } from '../../helpers/paths.js';

const dir = join(fixtures, 'captures', 'plain');
const userMessages = (name: string) =>
  decodePacket(Buffer.from(readFileSync(join(dir, `${name}.hex`), 'utf8').trim(), 'hex'))
    .filter((m) => m.type === MsgType.User)
    .map((m) => m.body as Buffer);

test('serf messages from real serf decode: join, leave, user event, query, query response, relay', () => {
  const ev = userMessages('udp-serf-userEvent').map(decodeSerf).find((m) => m.type === SerfMsg.UserEvent);
  assert.ok(ev && ev.type === SerfMsg.UserEvent);
  assert.equal(ev.body.name, 'pause');
  assert.equal(ev.body.payload.toString(), 'node1 127.0.0.1 web');
  assert.equal(ev.body.ltime, 1);
  const join_ = userMessages('udp-serf-join').map(decodeSerf).find((m) => m.type === SerfMsg.Join);
  assert.ok(join_ && join_.type === SerfMsg.Join && join_.body.node.startsWith('node-'));
  assert.ok(userMessages('udp-serf-leave').map(decodeSerf).some((m) => m.type === SerfMsg.Leave));
  const q = userMessages('udp-serf-query').map(decodeSerf).find((m) => m.type === SerfMsg.Query);
  assert.ok(q && q.type === SerfMsg.Query && q.body.name === 'uptime' && q.body.timeoutNs === 3e9);
  assert.ok(userMessages('udp-serf-queryResponse').map(decodeSerf).some((m) => m.type === SerfMsg.QueryResponse));
  assert.ok(userMessages('udp-serf-relay').map(decodeSerf).some((m) => m.type === SerfMsg.Relay));
});

test('our user event encoding is byte-identical to serf\'s', () => {
  const raw = userMessages('udp-serf-userEvent').find((b) => b[0] === SerfMsg.UserEvent)!;
  const ev = decodeSerf(raw);
  assert.ok(ev.type === SerfMsg.UserEvent);
  assert.equal(encodeUserEvent(ev.body).toString('hex'), raw.toString('hex'));
});

test('tags in node meta round-trip, and a bare role (old protocol) is understood', () => {
  assert.deepEqual(decodeTags(Buffer.from('ff82a4726f6c65a3776562a26463a36c6162', 'hex')), { role: 'web', dc: 'lab' });
  assert.deepEqual(decodeTags(encodeTags({ role: 'web', 'x-y': 'z' })), { role: 'web', 'x-y': 'z' });
  assert.deepEqual(decodeTags(Buffer.from('web')), { role: 'web' });
});

test('fuzz: mutated serf messages from the captures raise only DecodeError', () => {
  const seeds = readdirSync(dir)
    .filter((f) => f.startsWith('udp-serf') && f.endsWith('.hex'))
    .flatMap((f) => userMessages(f.replace(/\.hex$/, '')));
  assert.ok(seeds.length >= 6);
  let rejected = 0;
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(seeds[i % seeds.length]!);
    const kind = i % 4;
    let m: Buffer = b;
    if (kind === 0) for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] ^= 1 << rand(8);
    else if (kind === 1) m = b.subarray(0, rand(b.length));
    else if (kind === 2) b[1 + rand(Math.max(1, b.length - 1))] = [0xdc, 0xdd, 0xde, 0xdf, 0xdb, 0xc4][rand(6)]!;
    else m = Buffer.concat([b.subarray(0, rand(b.length)), Buffer.from(Array.from({ length: rand(32) }, () => rand(256)))]);
    try {
      decodeSerf(m);
    } catch (err) {
      assert.ok(err instanceof DecodeError, `only DecodeError, got ${(err as Error).name}: ${(err as Error).message}`);
      rejected++;
    }
  }
  assert.ok(rejected > 1000, `most mutations are rejected (${rejected})`);
});
