// Mutated real captures (bit flips, truncation, length lies, garbage): decoders throw only DecodeError, and a
// live node drops and counts them without crashing or changing its member table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodePacket, decodePushPull, decompress } from '../../../src/gossip/memberlist/codec.js';
import { DecodeError } from '../../../src/wire/msgpack/index.js';
import { lzwDecode } from '../../../src/gossip/memberlist/lzw.js';
import { createMemberlist } from '../../../src/gossip/memberlist/memberlist.js';
import { fixtures } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';

function load(dir: string, re: RegExp): Buffer[] {
  const folder = join(fixtures, 'captures', dir);
  return readdirSync(folder).filter((f) => re.test(f)).map((f) => Buffer.from(readFileSync(join(folder, f), 'utf8').trim(), 'hex'));
}

// Deterministic PRNG so a failure can be replayed.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

function* mutations(samples: Buffer[], perSample: number, seed = 1): Generator<Buffer> {
  const r = rng(seed);
  for (const s of samples) {
    for (let i = 0; i < perSample; i++) {
      const b = Buffer.from(s);
      switch (i % 4) {
        case 0: // bit flips
          for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
          yield b;
          break;
        case 1: // truncation
          yield b.subarray(0, Math.floor(r() * b.length));
          break;
        case 2: { // a length or count byte lies: set a random byte to 0xff or a large value
          const at = Math.floor(r() * Math.min(b.length, 40));
          b[at] = r() < 0.5 ? 0xff : 0xdb;
          yield b;
          break;
        }
        default: // garbage with a valid leading type byte
          yield Buffer.concat([b.subarray(0, 1), Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]);
      }
    }
  }
}

function onlyDecodeErrors(fn: () => unknown, input: Buffer): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DecodeError, `non-DecodeError ${(err as Error)?.constructor?.name}: ${(err as Error).message} for ${input.toString('hex')}`);
  }
}

test('packet decoder: mutated UDP captures throw only DecodeError', () => {
  const udp = load('plain', /^udp-.*\.hex$/);
  let n = 0;
  for (const m of mutations(udp, 400)) {
    onlyDecodeErrors(() => decodePacket(m), m);
    n++;
  }
  assert.ok(n > 5000);
});

test('push/pull, compress and LZW decoders: mutated TCP captures throw only DecodeError', () => {
  const tcp = load('plain', /^tcp-.*\.hex$/);
  for (const m of mutations(tcp, 300, 7)) {
    onlyDecodeErrors(() => decodePushPull(m, 1), m);
    onlyDecodeErrors(() => decompress(m), m);
    onlyDecodeErrors(() => lzwDecode(m.subarray(1)), m);
  }
});

test('a live encrypted node drops every mutated packet and stream, counts them, and keeps its member table', async (t) => {
  const key = Buffer.from([...Array(32).keys()]);
  const ml = await createMemberlist({
    name: 'target', bindAddr: '127.0.0.1', bindPort: 0, profile: 'local', keys: [key],
    delegate: { nodeMeta: () => Buffer.alloc(0), notifyMsg: () => {}, getBroadcasts: () => [], localState: () => Buffer.alloc(0), mergeRemoteState: () => {} },
    events: { notifyJoin: () => {}, notifyLeave: () => {}, notifyUpdate: () => {} },
  });
  t.after(() => ml.shutdown());
  const port = ml.localNode().port;
  const udp = createSocket('udp4');
  t.after(() => udp.close());

  // Every mutation of an authenticated packet must fail GCM (truncations of zero length are not sent).
  const packets = [...mutations(load('encrypted', /^enc-udp-.*\.hex$/), 20, 3)].filter((b) => b.length > 0);
  for (const [i, p] of packets.entries()) {
    await new Promise<void>((r) => udp.send(p, port, '127.0.0.1', () => r()));
    if (i % 50 === 0) await new Promise((r) => setImmediate(r)); // let the receiver keep up
  }
  const plainAlive = load('plain', /^udp-alive\.hex$/)[0]!; // plain packets are refused when encryption is on
  await new Promise<void>((r) => udp.send(plainAlive, port, '127.0.0.1', () => r()));
  await waitFor('packets counted', () => ml.stats().packetsReceived >= packets.length * 0.9 + 1 || undefined, { timeoutMs: 20_000 });
  assert.equal(ml.stats().packetsDropped, ml.stats().packetsReceived);

  const streams = [...mutations(load('encrypted', /^enc-tcp-.*\.hex$/), 4, 5)].filter((b) => b.length > 0).slice(0, 24);
  for (const s of streams) {
    await new Promise<void>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.end(s));
      c.on('error', () => resolve());
      c.on('close', () => resolve());
      c.resume();
    });
  }
  await waitFor('streams counted', () => ml.stats().streamsDropped === streams.length, { timeoutMs: 20_000 });
  assert.deepEqual(ml.allNodes().map((n) => n.name), ['target']);
  assert.ok(Object.keys(ml.stats().dropReasons).length >= 1);
});
