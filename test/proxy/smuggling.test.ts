// Framing is decided once, by the proxy: what a server behind it reads must be the requests the proxy parsed,
// checked, logged and routed, whatever the client's Connection header or the proxy's own rules say.
// (The wider table of raw requests, side by side with HAProxy, is http-differential.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { freePort } from '../helpers/ports.js';
import { openSocket, readResponse, startProxy } from './fixtures.js';

interface Seen { line: string; headers: IncomingMessage['headers']; body: string; conn: number }

/** A server that records every request its parser read (and on which of its connections), answering "got LINE". */
async function recorder(t: import('node:test').TestContext): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const conns = new WeakMap<object, number>();
  let next = 0;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!conns.has(req.socket)) conns.set(req.socket, next++);
      const line = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
      seen.push({ line, headers: req.headers, body: Buffer.concat(chunks).toString('latin1'), conn: conns.get(req.socket)! });
      // An explicit length: Node answers an HTTP/1.0 request by closing unless it has one.
      const body = `got ${line}`;
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { port, seen };
}

async function exchange(port: number, text: string) {
  const s = await openSocket(port);
  try {
    const p = readResponse(s);
    s.write(text);
    return await p;
  } finally {
    s.destroy();
  }
}

test('Connection: Content-Length cannot hide a request in a body: deny rules hold, the server reads one request, the next client gets its own answer', async (t) => {
  const srv = await recorder(t);
  const access: Record<string, unknown>[] = [];
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: app
    http-request:
      - deny: { status: 403 }
        if: { path_beg: /admin }
backends:
  app: { servers: [ { name: s1, addr: "127.0.0.1:${srv.port}" } ] }
`, { accessLog: access });
  t.after(() => lb.stop());
  const inner = 'GET /admin/drop-tables HTTP/1.1\r\nHost: x\r\n\r\n';
  for (const connection of ['content-length', 'close, Content-Length', 'keep-alive\r\nConnection: CONTENT-LENGTH']) {
    srv.seen.length = 0;
    const a = await exchange(lb.port('fe'), `POST /upload HTTP/1.1\r\nHost: x\r\nConnection: ${connection}\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'got POST /upload HTTP/1.1');
    // The next client reuses the pooled server connection: it must get the answer to its own request.
    const b = await exchange(lb.port('fe'), 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(b.body, 'got GET /next HTTP/1.1', `Connection: ${connection}`);
    assert.deepEqual(srv.seen.map((s) => [s.line, s.body]), [['POST /upload HTTP/1.1', inner], ['GET /next HTTP/1.1', '']]);
    assert.equal(srv.seen[0]!.headers['content-length'], String(inner.length));
  }
  assert.ok(!access.some((l) => String(l.request).includes('/admin')), 'nothing was logged for /admin: nothing went there');
});

test('Connection cannot remove Host or a header a rule sets; a rule cannot change the framing; a chunked body is re-announced', async (t) => {
  const srv = await recorder(t);
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: app
    http-request:
      - set-header: { name: X-Client-IP, value: "%[src]" }
      - set-header: { name: Content-Length, value: "0" }
      - del-header: { name: Transfer-Encoding }
backends:
  app: { servers: [ { name: s1, addr: "127.0.0.1:${srv.port}" } ] }
`);
  t.after(() => lb.stop());
  const r = await exchange(lb.port('fe'), 'POST /a HTTP/1.1\r\nHost: shop\r\nConnection: x-client-ip, host, x-hop\r\nX-Hop: 1\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(r.status, 200);
  const c = await exchange(lb.port('fe'), 'POST /c HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  assert.equal(c.status, 200);
  assert.deepEqual(srv.seen.map((s) => [s.line, s.body]), [['POST /a HTTP/1.1', 'hello'], ['POST /c HTTP/1.1', 'hello']]);
  const h = srv.seen[0]!.headers;
  assert.equal(h.host, 'shop');
  assert.equal(h['x-client-ip'], '127.0.0.1');
  assert.equal(h['x-hop'], undefined, 'a true hop-by-hop header named in Connection is removed');
  assert.equal(h['content-length'], '5');
  assert.equal(srv.seen[1]!.headers['transfer-encoding'], 'chunked');
  assert.equal(srv.seen[1]!.headers['content-length'], undefined);
});

test('HTTP/1.0 requests, with or without Host, are served as HTTP/1.0 over a kept server connection', async (t) => {
  const srv = await recorder(t);
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: s1, addr: "127.0.0.1:${srv.port}" } ] } }`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  let p = readResponse(s);
  s.write('GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const one = await p;
  assert.equal(one.status, 200);
  assert.equal(one.headers.connection, 'keep-alive');
  p = readResponse(s);
  s.write('POST /two HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc');
  assert.equal((await p).body, 'got POST /two HTTP/1.0');
  assert.deepEqual(srv.seen.map((x) => [x.line, x.headers.host, x.body]), [['GET /one HTTP/1.0', undefined, ''], ['POST /two HTTP/1.0', 'x', 'abc']]);
  assert.deepEqual(srv.seen.map((x) => x.conn), [0, 0], 'the server connection was kept for the second request');
});

test('requests pipelined before the client closes its side are all answered, then the connection closes', async (t) => {
  const srv = await recorder(t);
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: s1, addr: "127.0.0.1:${srv.port}" } ] } }`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.end('GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: x\r\n\r\n');
  await closed;
  assert.deepEqual([...text.matchAll(/got (\S+ \S+)/g)].map((m) => m[1]), ['GET /a', 'POST /b', 'GET /c']);
  assert.equal([...text.matchAll(/^connection: close/gim)].length, 1, 'only the last answer says close');
});

test('a response whose Connection names Content-Length still reaches the client framed by its length', async (t) => {
  const port = await freePort();
  const socks = new Set<Socket>();
  const raw = createTcpServer((sock: Socket) => {
    socks.add(sock);
    sock.on('data', () => sock.write('HTTP/1.1 200 OK\r\nConnection: content-length, x-hop\r\nX-Hop: 1\r\nContent-Length: 5\r\n\r\nhello'));
  });
  await new Promise<void>((r) => raw.listen(port, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { for (const s of socks) s.destroy(); raw.close(() => r()); }));
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: s1, addr: "127.0.0.1:${port}" } ] } }`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  for (const path of ['/1', '/2']) {
    const p = readResponse(s);
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await p;
    assert.equal(r.headers['content-length'], '5');
    assert.equal(r.headers['x-hop'], undefined);
    assert.equal(r.body, 'hello');
  }
});
