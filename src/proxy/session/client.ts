// The client's address as the logs and X-Forwarded-For write it: an IPv4 client on a dual-stack socket without
// its `::ffff:` prefix.
import type { Socket } from 'node:net';

export function clientAddress(sock: Socket): string {
  const a = sock.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
