// WebSocket through the proxy: the upgrade reaches the server, the 101 comes back, bytes flow both ways; the tunnel
// survives a pool swap of other servers and is closed at the end of its own server's grace time; h2c is ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../helpers/wait.js';
import { startBackend, startProxy } from './fixtures.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A WebSocket server that completes the handshake, then echoes the raw bytes it receives (enough for a tunnel test). */
async function wsEcho(t: import('node:test').TestContext) {
  const server = createServer((_req, res) => res.end('plain'));
  const upgraded = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket) => {
    upgraded.add(socket);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d) => socket.write(d));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  // Upgraded sockets are not the HTTP server's any more: close them ourselves, or close() waits forever.
  t.after(() => new Promise<void>((r) => (upgraded.forEach((s) => s.destroy()), server.closeAllConnections(), server.close(() => r()))));
  return (server.address() as { port: number }).port;
}

function openWs(port: number): Promise<{ sock: Socket; head: string; echo(text: string): Promise<string>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    let buf = '';
    const onHead = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onHead);
      const echo = (text: string) =>
        new Promise<string>((r) => {
          let got = '';
          const on = (c: Buffer) => {
            got += c.toString();
            if (got.length >= text.length) {
              sock.off('data', on);
              r(got);
            }
          };
          sock.on('data', on);
          sock.write(text);
        });
      resolve({ sock, head: buf.slice(0, end), echo, closed });
    };
    sock.on('data', onHead);
    sock.on('error', reject);
  });
}

test('WebSocket: 101 and both ways through the proxy; survives other servers\' swap; cut at its server\'s grace end', async (t) => {
  const wsPort = await wsEcho(t);
  const other = await startBackend('other');
  t.after(() => other.close());
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    balance: leastconn
    grace: 1s
    timeout: { tunnel: 30s }
    servers:
      - { name: ws, addr: "127.0.0.1:${wsPort}" }
`);
  t.after(() => lb.stop());
  const ws = await openWs(lb.port('web'));
  t.after(() => ws.sock.destroy());
  assert.match(ws.head, /^HTTP\/1\.1 101 /);
  assert.match(ws.head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  assert.equal(await ws.echo('hello over the tunnel'), 'hello over the tunnel');
  assert.equal((await lb.proxy.snapshot())[0]!.servers.find((s) => s.name === 'ws')!.sessions.current, 1, 'the tunnel is a session on its server');
  // A pool swap of other servers leaves the tunnel alone.
  await lb.proxy.setServers('web', [{ name: 'ws', addr: '127.0.0.1', port: wsPort }, { name: 'other', addr: '127.0.0.1', port: other.port }]);
  await lb.proxy.setServers('web', [{ name: 'ws', addr: '127.0.0.1', port: wsPort }]);
  assert.equal(await ws.echo('still here'), 'still here');
  // Its own server removed: the tunnel may finish for the grace time (1s), then it is closed.
  const removedAt = Date.now();
  await lb.proxy.setServers('web', [{ name: 'other', addr: '127.0.0.1', port: other.port }]);
  assert.equal(await ws.echo('during grace'), 'during grace');
  await ws.closed;
  assert.ok(Date.now() - removedAt >= 900, 'closed at the end of the grace time, not before');
});

test('an h2c upgrade is ignored: the request is served as HTTP/1.1', async (t) => {
  const be = await startBackend('b', (req, res) => res.end(`upgrade=${req.headers.upgrade ?? 'none'}`));
  t.after(() => be.close());
  const lb = await startProxy(`listen:\n  web:\n    bind: "127.0.0.1:0"\n    servers: [{ name: b, addr: "127.0.0.1:${be.port}" }]\n`);
  t.after(() => lb.stop());
  const res = await fetch(`http://127.0.0.1:${lb.port('web')}/`, { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA' } }).catch(() => undefined);
  // fetch (undici) may refuse to send an upgrade itself; fall back to a raw request.
  if (res) assert.equal(await res.text(), 'upgrade=none');
  else {
    const sock = connect(lb.port('web'), '127.0.0.1');
    t.after(() => sock.destroy());
    sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
    let got = '';
    sock.on('data', (d) => (got += d));
    await waitFor('answer', () => got.includes('upgrade=none'));
    assert.match(got, /^HTTP\/1\.1 200 /);
  }
});
