// Encrypted serf 0.9.4 captures (AES-256 and AES-128 keys from the captures README): our keyring decrypts every
// packet and stream to exactly the plain bytes recorded, and those decode; re-encrypting round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePacket, decodePushPull, decompress, MsgType } from '../../../src/gossip/memberlist/codec.js';
import { Keyring } from '../../../src/gossip/memberlist/keyring.js';
import { fixtures } from '../../helpers/paths.js';

const sets = [
  { dir: 'encrypted', key: Buffer.from([...Array(32).keys()]) },
  { dir: 'encrypted-aes128', key: Buffer.from([...Array(16).keys()]) },
];

for (const { dir, key } of sets) {
  const folder = join(fixtures, 'captures', dir);
  const names = readdirSync(folder).filter((f) => /^enc-(udp|tcp)-.*\.hex$/.test(f)).map((f) => f.slice(0, -4));
  const ring = new Keyring([Buffer.alloc(16, 0xaa), key]); // not the primary: every key is tried

  test(`${dir}: ${names.length} captures decrypt to the recorded plain bytes and decode`, () => {
    assert.ok(names.length > 20);
    for (const name of names) {
      const wire = Buffer.from(readFileSync(join(folder, `${name}.hex`), 'utf8').trim(), 'hex');
      const decoded = (JSON.parse(readFileSync(join(folder, `${name}.json`), 'utf8')) as { decoded: { plain_hex: string } }).decoded;
      let plain: Buffer;
      if (name.startsWith('enc-udp-')) plain = ring.decrypt(wire);
      else {
        assert.equal(wire[0], MsgType.Encrypt, name);
        const len = wire.readUInt32BE(1);
        plain = ring.decrypt(wire.subarray(5, 5 + len), wire.subarray(0, 5));
      }
      assert.equal(plain.toString('hex'), decoded.plain_hex, name);
      if (name.startsWith('enc-udp-')) assert.ok(decodePacket(plain).length >= 1, name);
      else {
        const inner = plain[0] === MsgType.Compress ? decompress(plain) : plain;
        if (inner[0] === MsgType.PushPull) assert.ok(decodePushPull(inner, 1).nodes.length >= 1, name);
        else assert.ok(decodePacket(inner).length === 1, name);
      }
    }
  });

  test(`${dir}: our encryption round-trips and a wrong key or a flipped bit is refused`, () => {
    const ours = new Keyring([key]);
    const msg = Buffer.from('hello serf');
    const aad = Buffer.from([10, 0, 0, 0, 1]);
    const blob = ours.encrypt(msg, aad);
    assert.equal(blob[0], 1);
    assert.equal(blob.length, 1 + 12 + msg.length + 16);
    assert.deepEqual(ring.decrypt(blob, aad), msg);
    assert.throws(() => new Keyring([Buffer.alloc(key.length, 3)]).decrypt(blob, aad));
    assert.throws(() => ring.decrypt(blob, Buffer.from([10, 0, 0, 0, 2])));
    const flipped = Buffer.from(blob);
    flipped[20]! ^= 1;
    assert.throws(() => ring.decrypt(flipped, aad));
  });
}
