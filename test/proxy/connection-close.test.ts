// `option http-server-close` and `option httpclose` (HAProxy 2.x): the server connection closes after each
// response when the frontend or the backend asks; httpclose on the frontend closes the client connection too
// (`Connection: close`), on a backend only the server side (checked against HAProxy 2.6: a backend's httpclose
// leaves the client connection open). Without either, both sides stay open. A server counting its connections says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { closed, openSocket, readResponse, startBackend, startProxy } from './fixtures.js';

async function setup(t: import('node:test').TestContext) {
  let conns = 0;
  const srv = await startBackend('s', (req, res) => res.end(`conns=${conns} connection=${req.headers.connection ?? ''}`));
  srv.server.on('connection', () => conns++);
  t.after(() => srv.close());
  const lb = await startProxy(`
defaults:
  http-server-close: true
frontends:
  keepalive:
    bind: "127.0.0.1:0"
    http-server-close: false
    default_backend: plain
    use_backend:
      - { backend: closing, if: { path_beg: /bc } }
  serverclose:
    bind: "127.0.0.1:0"
    default_backend: plain
  close:
    bind: "127.0.0.1:0"
    httpclose: true
    default_backend: plain
backends:
  plain:
    http-server-close: false
    servers: [{ name: s, addr: "127.0.0.1:${srv.port}" }]
  closing:
    httpclose: true
    servers: [{ name: s, addr: "127.0.0.1:${srv.port}" }]
`);
  t.after(() => lb.stop());
  return { lb, conns: () => conns };
}

/** Three requests on one client connection (as far as it stays open); each answer's body and Connection header. */
async function three(sock: Socket, path: string) {
  const out: { body: string; connection: string | undefined }[] = [];
  for (let i = 0; i < 3 && !sock.destroyed && !sock.readableEnded; i++) {
    const p = readResponse(sock);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await p;
    out.push({ body: r.body, connection: r.headers.connection });
    if (r.headers.connection === 'close') break;
  }
  return out;
}

test('default keep-alive: one server connection serves every request of a client connection', async (t) => {
  const { lb, conns } = await setup(t);
  const sock = await openSocket(lb.port('keepalive'));
  t.after(() => sock.destroy());
  const before = conns();
  const rs = await three(sock, '/a');
  assert.equal(rs.length, 3);
  assert.equal(conns() - before, 1, 'the pooled server connection was reused');
  assert.ok(rs.every((r) => r.connection === undefined && !r.body.includes('connection=close')));
});

test('http-server-close (from defaults): a new server connection per request, the client connection stays', async (t) => {
  const { lb, conns } = await setup(t);
  const sock = await openSocket(lb.port('serverclose'));
  t.after(() => sock.destroy());
  const before = conns();
  const rs = await three(sock, '/a');
  assert.equal(rs.length, 3, 'client connection kept alive');
  assert.ok(rs.every((r) => r.connection === undefined), 'no Connection: close to the client');
  assert.ok(rs.every((r) => r.body.endsWith('connection=close')), 'the server was told Connection: close');
  assert.equal(conns() - before, 3);
});

test("a backend's httpclose closes the server side only; the frontend's closes the client connection too", async (t) => {
  const { lb, conns } = await setup(t);
  const sock = await openSocket(lb.port('keepalive'));
  t.after(() => sock.destroy());
  let before = conns();
  const rs = await three(sock, '/bc');
  assert.equal(rs.length, 3, "as HAProxy 2.6: only the frontend's option closes client connections");
  assert.ok(rs.every((r) => r.body.endsWith('connection=close')));
  assert.equal(conns() - before, 3);

  const c = await openSocket(lb.port('close'));
  t.after(() => c.destroy());
  before = conns();
  const one = await three(c, '/a');
  assert.equal(one.length, 1);
  assert.equal(one[0]!.connection, 'close');
  assert.ok(one[0]!.body.endsWith('connection=close'));
  await closed(c);
  assert.equal(conns() - before, 1);
});
