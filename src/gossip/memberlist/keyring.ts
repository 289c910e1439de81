// serf's keyring and memberlist's AES-GCM envelope: version byte, 12-byte nonce, ciphertext and tag.
// The primary key encrypts; every installed key is tried to decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecodeError } from '../../wire/msgpack/index.js';

const NONCE = 12;
const TAG = 16;
const VERSION = 1; // no padding; version 0 (PKCS#7 padded) is accepted when decrypting

function checkKey(k: Buffer): void {
  if (![16, 24, 32].includes(k.length)) throw new Error(`key must be 16, 24 or 32 bytes, got ${k.length}`);
}

const algo = (k: Buffer) => `aes-${k.length * 8}-gcm` as 'aes-128-gcm';

export class Keyring {
  private list: Buffer[];

  constructor(keys: Buffer[]) {
    keys.forEach(checkKey);
    this.list = [...keys];
  }

  static fromBase64(keys: string[]): Keyring {
    return new Keyring(keys.map((k) => Buffer.from(k, 'base64')));
  }

  get enabled(): boolean {
    return this.list.length > 0;
  }

  primary(): Buffer | undefined {
    return this.list[0];
  }

  keys(): Buffer[] {
    return [...this.list];
  }

  install(k: Buffer): void {
    checkKey(k);
    if (!this.list.some((x) => x.equals(k))) this.list.push(k);
  }

  use(k: Buffer): void {
    const i = this.list.findIndex((x) => x.equals(k));
    if (i < 0) throw new Error('Requested key is not in the keyring');
    this.list.splice(i, 1);
    this.list.unshift(k);
  }

  remove(k: Buffer): void {
    const i = this.list.findIndex((x) => x.equals(k));
    if (i === 0) throw new Error('Removing the primary key is not allowed');
    if (i > 0) this.list.splice(i, 1);
  }

  encrypt(plain: Buffer, aad: Buffer = Buffer.alloc(0)): Buffer {
    const key = this.list[0];
    if (!key) throw new Error('no encryption key');
    const nonce = randomBytes(NONCE);
    const c = createCipheriv(algo(key), key, nonce);
    c.setAAD(aad);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, c.getAuthTag()]);
  }

  decrypt(blob: Buffer, aad: Buffer = Buffer.alloc(0)): Buffer {
    if (blob.length < 1 + NONCE + TAG) throw new DecodeError('encrypted message too short');
    const version = blob[0];
    if (version !== 0 && version !== 1) throw new DecodeError(`unsupported encryption version ${version}`);
    const nonce = blob.subarray(1, 1 + NONCE);
    const body = blob.subarray(1 + NONCE, blob.length - TAG);
    const tag = blob.subarray(blob.length - TAG);
    for (const key of this.list) {
      try {
        const d = createDecipheriv(algo(key), key, nonce);
        d.setAAD(aad);
        d.setAuthTag(tag);
        const plain = Buffer.concat([d.update(body), d.final()]);
        return version === 0 ? unpad(plain) : plain;
      } catch {
        // try the next key
      }
    }
    throw new DecodeError('no installed key decrypts the message');
  }
}

function unpad(b: Buffer): Buffer {
  const n = b[b.length - 1] ?? 0;
  if (n === 0 || n > 16 || n > b.length) throw new DecodeError('bad padding');
  return b.subarray(0, b.length - n);
}
