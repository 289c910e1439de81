// After a 101 (WebSocket): raw bytes both ways until either side closes or `timeout tunnel` passes idle. The
// tunnel counts as a session on its server, so it drains like a TCP session and is cut at a removed server's
// grace end; the client's bytes reach the server through the session's data handler (state 'tunnel').
import type { Socket } from 'node:net';
import { setConnHandler, setSocketTimeout } from '../../engine/server.js';
import { Pacer } from '../relay.js';
import { countResponse } from './answer.js';
import type { Exchange, HttpConn } from './exchange.js';

export function startTunnel(c: HttpConn, x: Exchange, conn: Socket, rh: { status: number }, head: Buffer, rest: Buffer, sentAt: number): void {
  x.Tr = Date.now() - sentAt;
  x.status = rh.status;
  x.respStarted = true;
  x.phase = 'D';
  x.keepAlive = false;
  x.serverReusable = false;
  countResponse(c, x, 101, true);
  c.state = 'tunnel';
  const out = rest.length ? Buffer.concat([head, rest]) : head;
  x.bytesOut += out.length;
  c.fe.stats.bytesOut += out.length;
  c.sock.write(out);
  const idle = x.backend!.def.timeouts.tunnel;
  const end = () => {
    if (x.finished) return;
    c.state = 'busy';
    c.complete(x, '--');
  };
  const pacer = new Pacer(conn, c.sock, () => !x.finished);
  setConnHandler(conn, {
    data: (chunk) => {
      x.bytesOut += chunk.length;
      c.fe.stats.bytesOut += chunk.length;
      x.server!.bytesOut += chunk.length;
      pacer.wrote(c.sock.write(chunk), chunk.length);
      return c.sock.writableLength === 0;
    },
    end,
    timeout: () => c.kill(x, 'sD'),
  });
  setSocketTimeout(conn, idle);
  c.sock.setTimeout(idle);
  c.sock.resume();
  conn.resume();
}

/** Client bytes while tunnelling: straight to the server, with backpressure. */
export function tunnelUp(c: HttpConn, x: Exchange, chunk: Buffer): void {
  x.bytesToServer += chunk.length;
  x.server!.bytesIn += chunk.length;
  if (!x.conn!.write(chunk)) {
    c.sock.pause();
    x.conn!.once('drain', () => c.sock.resume());
  }
}
