// Stream framing (memberlist's net.go readStream/rawSendMsgStream, over TCP): an optional label, then either
// 0x0a + uint32 length + AES-GCM (the header is the AAD) or a plain message; 0x09 compressed bodies unwrap.
import type { Socket } from 'node:net';
import { asMap, decode, DecodeError, Truncated, uint } from '../../wire/msgpack/index.js';
import { decodePushPull, decompress, MsgType } from './codec.js';
import type { Core } from './core.js';
import { readStream } from './transport.js';

const MAX_ENCRYPTED_STREAM = 20 * 1024 * 1024;

export class Streams {
  constructor(private readonly c: Core) {}

  /** Dial a member for one exchange; the caller ends the socket. */
  dial(addr: string, port: number, timeoutMs = this.c.t.tcpTimeoutMs): Promise<Socket> {
    this.c.st.streamsOpened++;
    return this.c.transport.dial(addr, port, timeoutMs);
  }

  /** One whole message, decrypted and decompressed. */
  read(sock: Socket, timeoutMs = this.c.t.tcpTimeoutMs): Promise<Buffer> {
    return readStream(sock, timeoutMs, (b) => {
      const plain = this.parse(b);
      if (plain) this.c.st.streamBytesReceived += b.length;
      return plain;
    });
  }

  write(sock: Socket, plain: Buffer): Promise<void> {
    const framed = this.frame(plain);
    this.c.st.streamBytesSent += framed.length;
    return writeAll(sock, framed);
  }

  /** A complete stream message or undefined while bytes are missing. */
  private parse(b: Buffer): Buffer | undefined {
    const { ring, cfg } = this.c;
    let label: Buffer = Buffer.alloc(0);
    if (b[0] === MsgType.HasLabel) {
      if (b.length < 2 || b.length < 2 + b[1]!) return undefined;
      label = b.subarray(2, 2 + b[1]!);
      b = b.subarray(2 + b[1]!);
    }
    if (b.length === 0) return undefined;
    let plain: Buffer;
    if (b[0] === MsgType.Encrypt) {
      if (!ring.enabled) throw new DecodeError('encrypted stream but encryption is not configured');
      if (b.length < 5) return undefined;
      const len = b.readUInt32BE(1);
      if (len > MAX_ENCRYPTED_STREAM) throw new DecodeError('encrypted stream too large');
      if (b.length < 5 + len) return undefined;
      plain = ring.decrypt(b.subarray(5, 5 + len), Buffer.concat([b.subarray(0, 5), label]));
    } else {
      if (ring.enabled && !cfg.acceptPlain) throw new DecodeError('plain stream refused: encryption is on');
      plain = b;
    }
    try {
      if (plain[0] === MsgType.Compress) {
        plain = decompress(plain);
      }
      // Check the message is complete (msgpack throws Truncated when not).
      if (plain[0] === MsgType.PushPull) decodePushPull(plain, 1);
      else if (plain[0] === MsgType.User) {
        const { value, end } = decode(plain, 1);
        if (end + uint(asMap(value, 'user header'), 'UserMsgLen') > plain.length) throw new Truncated('user message');
      } else decode(plain, 1);
      return plain;
    } catch (err) {
      if (err instanceof Truncated && b[0] !== MsgType.Encrypt) return undefined;
      throw err;
    }
  }

  private frame(plain: Buffer): Buffer {
    const { ring } = this.c;
    if (!ring.enabled) return plain;
    const head = Buffer.alloc(5);
    head[0] = MsgType.Encrypt;
    head.writeUInt32BE(1 + 12 + plain.length + 16, 1);
    return Buffer.concat([head, ring.encrypt(plain, head)]);
  }
}

function writeAll(sock: Socket, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sock.write(buf, (err) => (err ? reject(err) : resolve())));
}
