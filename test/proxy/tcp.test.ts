import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { makeCa } from '../helpers/certs.js';
import { needTool } from '../helpers/tools.js';
import { download, noise, sha256, writeInPieces } from '../helpers/bytes.js';
import { closed, openSocket, startProxy } from './fixtures.js';

/** A TCP server: echoes upper-cased input after the client half-closes, then closes its side. */
async function startUpperServer(t: import('node:test').TestContext): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => s.end(Buffer.concat(chunks).toString().toUpperCase()));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as { port: number }).port, server };
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
  });
}

test('mode tcp streams both ways and honours half-close', async (t) => {
  const up = await startUpperServer(t);
  const lb = await startProxy(`
listen:
  db: { bind: "127.0.0.1:0", mode: tcp, servers: [ { name: up, addr: "127.0.0.1:${up.port}" } ] }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('db'));
  t.after(() => s.destroy());
  const out = readAll(s);
  const big = 'abc'.repeat(400_000); // 1.2 MB through both directions
  s.write(big);
  s.end(); // half-close: the server answers only after seeing our FIN
  assert.equal(await out, big.toUpperCase());
  const view = (await lb.proxy.snapshot())[0]!;
  assert.equal(view.servers[0]!.sessions.total, 1);
});

test('mode tcp: timeout client closes an idle session; no server gives a closed connection', async (t) => {
  const up = await startUpperServer(t);
  const lb = await startProxy(`
frontends:
  idle: { bind: "127.0.0.1:0", mode: tcp, default_backend: up, timeout: { client: 200ms } }
  none: { bind: "127.0.0.1:0", mode: tcp, default_backend: empty }
backends:
  up: { mode: tcp, timeout: { server: 10s }, servers: [ { name: up, addr: "127.0.0.1:${up.port}" } ] }
  empty: { mode: tcp }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('idle'));
  t.after(() => s.destroy());
  await closed(s);
  const n = await openSocket(lb.port('none'));
  t.after(() => n.destroy());
  await closed(n);
  assert.equal(lb.proxy.backend('up').active, 0);
});

test('mode tcp: timeout server closes a session whose server stays silent', async (t) => {
  const mute = createServer(() => {});
  const held = new Set<Socket>();
  mute.on('connection', (c) => held.add(c));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const c of held) c.destroy();
    return new Promise<void>((r) => mute.close(() => r()));
  });
  const lb = await startProxy(`
listen:
  q: { bind: "127.0.0.1:0", mode: tcp, timeout: { server: 200ms, client: 10s }, servers: [ { name: m, addr: "127.0.0.1:${(mute.address() as { port: number }).port}" } ] }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('q'));
  t.after(() => s.destroy());
  s.write('hello?');
  await closed(s);
});

for (const tls of [false, true]) {
  test(`mode tcp: large downloads arrive intact, to prompt and late readers at once${tls ? ' (TLS to the server)' : ''}`, async (t) => {
    if (tls && !needTool(t, 'openssl')) return;
    // 16 MiB per connection: the server connection's reused read buffer, the relay's turns and the client's
    // backpressure must never lose, repeat or reorder a byte.
    const payload = noise(16, 7);
    const ca = tls ? makeCa(undefined, t) : undefined;
    const pem = ca ? readFileSync(ca.issue('localhost'), 'utf8') : '';
    const sockets = new Set<Socket>();
    // The server writes in pieces of many sizes, so the proxy reads small chunks (handed over as copies) as well
    // as large ones (handed over in place, the buffer read into again once the client's write of it went out).
    const onConn = (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      void writeInPieces(s, payload).then(() => s.end());
    };
    const server: Server = tls ? createTlsServer({ cert: pem, key: pem }, onConn) : createServer(onConn);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    t.after(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as { port: number }).port;
    const lb = await startProxy(`
listen:
  files:
    bind: "127.0.0.1:0"
    mode: tcp
    ${ca ? `server_ssl: { verify: required, ca_file: "${ca.caFile}", sni: localhost }` : ''}
    servers: [ { name: f1, addr: "127.0.0.1:${port}" } ]
`);
    t.after(() => lb.stop());
    const clients = await Promise.all([0, 0, 0, 500].map(async (stallMs) => {
      const s = await openSocket(lb.port('files'));
      t.after(() => s.destroy());
      return download(s, stallMs);
    }));
    const want = sha256(payload);
    for (const got of clients) {
      assert.equal(got.length, payload.length);
      assert.equal(sha256(got), want);
    }
    const be = lb.proxy.backendMap.get('files')!;
    assert.equal(be.bytesOut, 4 * payload.length, 'bytes out are counted once each');
    assert.equal(be.servers.get('f1')!.bytesOut, 4 * payload.length);
  });
}
