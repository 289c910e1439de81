// Free ports on 127.0.0.1 (TCP and UDP both, as gossip needs), for tests and benchmarks.
// Ports come from below the kernel's ephemeral range: a port the kernel handed out for listen(0) and that we
// closed again can be taken at once by any outgoing connection of a busy concurrent test, and a serf agent
// given that port then fails to bind. Ports already handed out by this process are never handed out again.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const LOWEST = 10_000;
const handedOut = new Set<number>();

function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}
const highest = Math.max(LOWEST + 1000, ephemeralStart() - 1);

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind({ port, address: host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    if (handedOut.has(port)) continue;
    if ((await tcpFree(port, host)) && (await udpFree(port, host))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port');
}
