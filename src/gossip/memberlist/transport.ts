// The only file that touches sockets: one UDP socket for packets and one TCP listener for streams, on the same
// address and port (memberlist's NetTransport). IPv4 or IPv6 by the bind address.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';

export interface PacketFrom {
  addr: string;
  port: number;
}

export class Transport {
  private constructor(private readonly udp: UdpSocket, private readonly tcp: Server, readonly port: number) {}

  static async create(bindAddr: string, bindPort: number, onPacket: (buf: Buffer, from: PacketFrom) => void, onStream: (sock: Socket) => void): Promise<Transport> {
    const tcp = createServer({ noDelay: true }, onStream);
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(bindPort, bindAddr, () => (tcp.off('error', reject), resolve()));
    });
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket({ type: isIPv6(bindAddr) ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, bindAddr, () => (udp.off('error', reject), resolve()));
      });
    } catch (err) {
      tcp.close();
      throw err;
    }
    udp.on('message', (buf, rinfo) => onPacket(buf, { addr: rinfo.address.replace(/^::ffff:/, ''), port: rinfo.port }));
    udp.on('error', () => {});
    try {
      udp.setRecvBufferSize(2 * 1024 * 1024);
    } catch {
      // not every platform allows it
    }
    return new Transport(udp, tcp, port);
  }

  sendPacket(buf: Buffer, addr: string, port: number): void {
    this.udp.send(buf, port, addr, () => {});
  }

  dial(addr: string, port: number, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: addr, port, noDelay: true });
      const timer = setTimeout(() => sock.destroy(new Error(`dial ${addr}:${port}: i/o timeout`)), timeoutMs);
      sock.once('connect', () => (clearTimeout(timer), resolve(sock)));
      sock.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.tcp.close(() => r()));
    await new Promise<void>((r) => {
      try {
        this.udp.close(() => r());
      } catch {
        r();
      }
    });
  }
}

/** Read from a stream until `parse` returns a value (it returns undefined while the input is incomplete). */
export function readStream<T>(sock: Socket, timeoutMs: number, parse: (buf: Buffer) => T | undefined, maxBytes = 20 * 1024 * 1024): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err?: Error, v?: T) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onEnd);
      if (err) reject(err);
      else resolve(v as T);
    };
    const onData = (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      if (buf.length > maxBytes) return done(new Error('stream too large'));
      try {
        const v = parse(buf);
        if (v !== undefined) done(undefined, v);
      } catch (err) {
        done(err as Error);
      }
    };
    const onEnd = () => done(new Error('stream closed before a complete message'));
    const timer = setTimeout(() => done(new Error('stream read timeout')), timeoutMs);
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('error', onEnd);
  });
}
