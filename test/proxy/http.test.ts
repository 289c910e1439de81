import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { freePort } from '../helpers/ports.js';
import { chunked, download, noise, sha256, writeInPieces } from '../helpers/bytes.js';
import { waitFor } from '../helpers/wait.js';
import { closed, openSocket, rawRequest, readResponse, startBackend, startProxy, type Backend } from './fixtures.js';

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;

async function withBackends(t: import('node:test').TestContext, names: string[]): Promise<Backend[]> {
  const bs = await Promise.all(names.map((n) => startBackend(n)));
  t.after(() => Promise.all(bs.map((b) => b.close())));
  return bs;
}

test('forwards requests over keep-alive on both sides, round-robin, with forwarded headers', async (t) => {
  const [a, b] = await withBackends(t, ['a', 'b']);
  const lb = await startProxy(`
defaults: { forwardfor: true, timeout: { connect: 2s, client: 10s, server: 10s } }
listen:
  web: { bind: "127.0.0.1:0", servers: [ { name: a, addr: "127.0.0.1:${a!.port}" }, { name: b, addr: "127.0.0.1:${b!.port}" } ] }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) {
    const p = readResponse(s);
    s.write(get(`/r${i}`));
    const r = await p;
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, undefined, 'HTTP/1.1 keep-alive needs no Connection header');
    bodies.push(r.body);
  }
  assert.deepEqual(bodies, ['a /r0 0', 'b /r1 0', 'a /r2 0', 'b /r3 0']);
  const h = a!.seen[0]!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 'example.test');
  assert.equal(h['x-forwarded-port'], String(lb.port('web')));
  // One client connection, and the server side reused its pooled connection.
  assert.equal(lb.proxy.frontends.get('web')!.stats.total, 1);
  const view = (await lb.proxy.snapshot())[0]!;
  assert.deepEqual(view.servers.map((x) => x.sessions.total), [2, 2]);
});

test('request bodies pass through by Content-Length and chunked framing; HTTP/1.0 gets a close-delimited reply', async (t) => {
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] } }`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  let p = readResponse(s);
  s.write('POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world');
  assert.equal((await p).body, 'a /cl 11');
  p = readResponse(s);
  s.write('POST /ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n');
  assert.equal((await p).body, 'a /ch 8');
  const r10 = await rawRequest(lb.port('web'), 'GET /ten HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.equal(r10.status, 200);
  assert.match(r10.raw, /^HTTP\/1\.0 200/);
  assert.equal(r10.body, 'a /ten 0');
  // XFF is off without `forwardfor`.
  assert.equal(a!.seen[0]!.headers['x-forwarded-for'], undefined);
});

test('forwardfor except CIDR skips X-Forwarded-For for those clients', async (t) => {
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", forwardfor: { except: 127.0.0.0/8 }, servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] } }`);
  t.after(() => lb.stop());
  const r = await rawRequest(lb.port('web'), get('/'));
  assert.equal(r.status, 200);
  assert.equal(a!.seen[0]!.headers['x-forwarded-for'], undefined);
  assert.equal(a!.seen[0]!.headers['x-forwarded-proto'], 'http');
});

test('bad requests: 400 malformed, 431 header block too large, 408 slow header; the proxy keeps serving', async (t) => {
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", timeout: { http-request: 300ms }, servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] }
`);
  t.after(() => lb.stop());
  const port = lb.port('web');
  assert.equal((await rawRequest(port, 'GARBAGE\r\n\r\n')).status, 400);
  assert.equal((await rawRequest(port, 'GET / HTTP/1.1\r\n\r\n')).status, 400, 'HTTP/1.1 without Host');
  assert.equal((await rawRequest(port, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n')).status, 400);
  assert.equal((await rawRequest(port, 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).status, 400);
  assert.equal((await rawRequest(port, `GET / HTTP/1.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`)).status, 431);
  // slowloris: a head that never ends
  const s = await openSocket(port);
  t.after(() => s.destroy());
  const p = readResponse(s);
  s.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const r = await p;
  assert.equal(r.status, 408);
  await closed(s);
  assert.equal(a!.seen.length, 0, 'no bad request reached the server');
  assert.equal((await rawRequest(port, get('/ok'))).body, 'a /ok 0');
});

test('backup servers serve only while no active server is usable', async (t) => {
  const [a, bk] = await withBackends(t, ['a', 'backup']);
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", servers: [ { name: a, addr: "127.0.0.1:${a!.port}" }, { name: bk, addr: "127.0.0.1:${bk!.port}", backup: true } ] }
`);
  t.after(() => lb.stop());
  const port = lb.port('web');
  assert.equal((await rawRequest(port, get('/1'))).body, 'a /1 0');
  assert.equal((await rawRequest(port, get('/2'))).body, 'a /2 0');
  await lb.proxy.setState('web', 'a', 'maint');
  assert.equal((await rawRequest(port, get('/3'))).body, 'backup /3 0');
  await lb.proxy.setState('web', 'a', 'ready');
  assert.equal((await rawRequest(port, get('/4'))).body, 'a /4 0');
});

test('sorry rules when no server is usable: default 503, redirect, response, other backend', async (t) => {
  const [other] = await withBackends(t, ['other']);
  const lb = await startProxy(`
frontends:
  none: { bind: "127.0.0.1:0", default_backend: empty }
  redir: { bind: "127.0.0.1:0", default_backend: goaway }
  resp: { bind: "127.0.0.1:0", default_backend: custom }
  fallback: { bind: "127.0.0.1:0", default_backend: primary }
backends:
  empty: { servers: [] }
  goaway: { sorry: { redirect: "https://status.example.test/" } }
  custom: { sorry: { response: { body: "back soon" } } }
  primary: { sorry: { backend: spare } }
  spare: { servers: [ { name: o, addr: "127.0.0.1:${other!.port}" } ] }
`);
  t.after(() => lb.stop());
  const none = await rawRequest(lb.port('none'), get('/'));
  assert.equal(none.status, 503);
  assert.match(none.body, /No server is available/);
  const redir = await rawRequest(lb.port('redir'), get('/'));
  assert.equal(redir.status, 302);
  assert.equal(redir.headers.location, 'https://status.example.test/');
  const resp = await rawRequest(lb.port('resp'), get('/'));
  assert.equal(resp.status, 503);
  assert.equal(resp.body, 'back soon');
  assert.equal((await rawRequest(lb.port('fallback'), get('/x'))).body, 'other /x 0');
});

test('connect failures are retried after a turn-around delay, and redispatched to another server on the last retry', async (t) => {
  const [good] = await withBackends(t, ['good']);
  const dead = await freePort();
  const lb = await startProxy(`
listen:
  noredisp: { bind: "127.0.0.1:0", retries: 2, timeout: { connect: 200ms }, servers: [ { name: dead, addr: "127.0.0.1:${dead}" } ] }
  redisp: { bind: "127.0.0.1:0", retries: 2, redispatch: true, timeout: { connect: 200ms }, balance: static-rr, servers: [ { name: dead, addr: "127.0.0.1:${dead}" }, { name: good, addr: "127.0.0.1:${good!.port}" } ] }
`);
  t.after(() => lb.stop());
  const started = Date.now();
  const r1 = await rawRequest(lb.port('noredisp'), get('/'));
  assert.equal(r1.status, 503);
  // HAProxy waits min(timeout connect, 1s) before each retry, so a refusing server is not hammered.
  assert.ok(Date.now() - started >= 2 * 200 - 20, `two retries spaced by the turn-around delay (took ${Date.now() - started} ms)`);
  const deadView = (await lb.proxy.snapshot()).find((b) => b.name === 'noredisp')!;
  assert.equal(lb.proxy.backend('noredisp').servers.get('dead')!.failedConns, 3, 'one attempt and two retries');
  assert.equal(deadView.servers[0]!.sessions.current, 0);
  // static-rr starts with `dead`; the last retry goes to `good`.
  for (let i = 0; i < 4; i++) assert.equal((await rawRequest(lb.port('redisp'), get(`/${i}`))).status, 200);
});

test('timeout connect: a server that never completes the handshake gets 503 with sC after the retries', async (t) => {
  // A listener whose process is stopped with a full accept queue: the kernel drops further SYNs, so a connect
  // hangs until `timeout connect`, like a server behind a black hole.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () { process.send(this.address().port) })`], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  t.after(() => child.kill('SIGKILL'));
  const port = await new Promise<number>((r) => child.once('message', (p) => r(p as number)));
  child.kill('SIGSTOP');
  const fillers = Array.from({ length: 4 }, () => openSocket(port).catch(() => undefined));
  t.after(async () => (await Promise.all(fillers)).forEach((s) => s?.destroy()));
  // Two of them fit in the accept queue (backlog + 1); the rest wait for a SYN-ACK that does not come.
  let connected = 0;
  for (const f of fillers) void f.then((s) => s && connected++);
  await waitFor('accept queue full', () => connected >= 2);
  const log: Record<string, unknown>[] = [];
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", mode: http, retries: 1, timeout: { connect: 300ms }, servers: [ { name: hole, addr: "127.0.0.1:${port}" } ] }
  raw: { bind: "127.0.0.1:0", mode: tcp, retries: 1, timeout: { connect: 300ms }, servers: [ { name: hole, addr: "127.0.0.1:${port}" } ] }
`, { accessLog: log });
  t.after(() => lb.stop());
  const started = Date.now();
  const r = await rawRequest(lb.port('web'), get('/'));
  assert.equal(r.status, 503);
  assert.ok(Date.now() - started >= 300 + 300 + 300 - 30, 'two attempts of timeout connect with the turn-around delay between');
  assert.equal(lb.proxy.backend('web').servers.get('hole')!.failedConns, 2);
  await waitFor('access-log line', () => log.find((l) => l.frontend === 'web'));
  assert.equal(log.find((l) => l.frontend === 'web')!.termination, 'sC', 'HAProxy: the connect timed out (SC is a refusal)');
  // TCP mode: the client connection is closed after the same attempts, logged sC.
  const s = await openSocket(lb.port('raw'));
  await closed(s);
  await waitFor('tcp access-log line', () => log.find((l) => l.frontend === 'raw'));
  assert.equal(log.find((l) => l.frontend === 'raw')!.termination, 'sC');
});

test('maxconn per server queues requests; timeout queue answers 503', async (t) => {
  let release: (() => void)[] = [];
  const slow = await startBackend('slow', (_req, res) => {
    release.push(() => res.end('slow done'));
  });
  t.after(() => {
    for (const r of release) r();
    return slow.close();
  });
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", timeout: { queue: 300ms }, servers: [ { name: s, addr: "127.0.0.1:${slow.port}", maxconn: 1 } ] }
`);
  t.after(() => lb.stop());
  const port = lb.port('web');
  const first = openSocket(port).then(async (s) => {
    const p = readResponse(s);
    s.write(get('/first'));
    return p.finally(() => s.destroy());
  });
  await waitFor('first request at the server', () => slow.seen.length === 1);
  // The second waits in the queue, then times out.
  const second = await rawRequest(port, get('/second'));
  assert.equal(second.status, 503);
  assert.equal(slow.seen.length, 1, 'the queued request never reached the busy server');
  // A queued request gets the slot when the first finishes.
  const third = openSocket(port).then(async (s) => {
    const p = readResponse(s);
    s.write(get('/third'));
    return p.finally(() => s.destroy());
  });
  await waitFor('third request queued', () => lb.proxy.backend('web').queued === 1);
  release.shift()!();
  assert.equal((await first).body, 'slow done');
  await waitFor('third request at the server', () => slow.seen.length === 2);
  release.shift()!();
  assert.equal((await third).status, 200);
  release = [];
});

test('timeout server answers 504 when the server does not respond', async (t) => {
  const pending: import('node:http').ServerResponse[] = [];
  const mute = await startBackend('mute', (_req, res) => void pending.push(res));
  t.after(() => mute.close());
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", timeout: { server: 300ms }, servers: [ { name: m, addr: "127.0.0.1:${mute.port}" } ] }
`);
  t.after(() => lb.stop());
  const r = await rawRequest(lb.port('web'), get('/'));
  assert.equal(r.status, 504);
});

test('timeout http-keep-alive closes an idle client connection between requests', async (t) => {
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", timeout: { http-keep-alive: 200ms }, servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  const p = readResponse(s);
  s.write(get('/'));
  assert.equal((await p).status, 200);
  await closed(s);
});

test('timeout client cuts a request whose body stops arriving', async (t) => {
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", timeout: { client: 300ms }, servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] }
`);
  t.after(() => lb.stop());
  const s = await openSocket(lb.port('web'));
  t.after(() => s.destroy());
  s.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part');
  await closed(s);
  await waitFor('server slot released', () => lb.proxy.backend('web').active === 0);
  assert.equal((await rawRequest(lb.port('web'), get('/after'))).body, 'a /after 0');
});

test('a server answering garbage gets 502; random bytes from clients never crash the proxy', async (t) => {
  const { createServer } = await import('node:net');
  const junk = createServer((s) => s.on('data', () => s.end('SSH-2.0-OpenSSH\r\n\r\n')));
  await new Promise<void>((r) => junk.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => junk.close(() => r())));
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`
frontends:
  bad: { bind: "127.0.0.1:0", default_backend: junk }
  good: { bind: "127.0.0.1:0", default_backend: ok }
backends:
  junk: { servers: [ { name: j, addr: "127.0.0.1:${(junk.address() as { port: number }).port}" } ] }
  ok: { servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] }
`);
  t.after(() => lb.stop());
  assert.equal((await rawRequest(lb.port('bad'), get('/'))).status, 502);
  let seed = 7;
  const byte = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  for (let i = 0; i < 30; i++) {
    const s = await openSocket(lb.port('good'));
    const prefix = i % 2 ? 'GET / HTTP/1.1\r\nHost: x\r\n' : '';
    s.write(Buffer.concat([Buffer.from(prefix), Buffer.from(Array.from({ length: 200 + i * 50 }, byte)), Buffer.from('\r\n\r\n')]));
    s.on('error', () => {});
    await closed(s);
  }
  assert.equal((await rawRequest(lb.port('good'), get('/still'))).body, 'a /still 0');
});

test('a connection closed after `Connection: close` leaves nothing behind once the client has gone', async (t) => {
  // The proxy ends its side and gives the client 5 s to close its own; a client that does close must not leave
  // that timer holding the session and its socket (thousands of them per second under `Connection: close`).
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const [a] = await withBackends(t, ['a']);
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: a, addr: "127.0.0.1:${a!.port}" } ] } }`);
  t.after(() => lb.stop());
  const port = lb.port('web');
  const burst = async (n: number) => {
    for (let i = 0; i < n; i += 25) {
      const rs = await Promise.all(Array.from({ length: 25 }, () => rawRequest(port, get('/', 'Connection: close\r\n'))));
      for (const r of rs) assert.equal(r.status, 200);
    }
  };
  await burst(200); // warm up: connection pools, JIT
  a!.seen.length = 0;
  gc();
  const before = process.memoryUsage().heapUsed;
  await burst(2000);
  a!.seen.length = 0;
  // The client sockets are destroyed; give the proxy's side the moment it needs to see each close.
  await waitFor('the proxy to see every client close', () => lb.proxy.connections === 0);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.diagnostic(`heap after 2000 closed connections: ${(grown / 1024).toFixed(0)} KiB more`);
  assert.ok(grown < 3 * 1024 * 1024, `heap grew by ${(grown / 1024).toFixed(0)} KiB over 2000 closed connections`);
});

/** The bodies of the responses on a connection, read to its close (Content-Length and chunked framing). */
function responseBodies(all: Buffer): { status: number; body: Buffer }[] {
  const out: { status: number; body: Buffer }[] = [];
  let at = 0;
  while (at < all.length) {
    const end = all.indexOf('\r\n\r\n', at);
    assert.ok(end > 0, `a response head at byte ${at}`);
    const head = all.subarray(at, end).toString('latin1');
    const status = Number(head.split(' ')[1]);
    at = end + 4;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      out.push({ status, body: all.subarray(at, at + Number(length[1])) });
      at += Number(length[1]);
      continue;
    }
    assert.match(head, /\r\ntransfer-encoding: *chunked/i);
    const parts: Buffer[] = [];
    for (;;) {
      const line = all.indexOf('\r\n', at);
      const size = parseInt(all.subarray(at, line).toString('latin1'), 16);
      at = line + 2;
      if (size === 0) {
        at += 2;
        break;
      }
      parts.push(all.subarray(at, at + size));
      at += size + 2;
    }
    out.push({ status, body: Buffer.concat(parts) });
  }
  return out;
}

test('large response bodies arrive intact, to prompt and late readers at once, heads split over many reads, small and large', async (t) => {
  // The server sends each response head over several reads, then 16 MiB in pieces of many sizes, by
  // Content-Length and then chunked: the proxy's reused read buffers, its turns and the client's backpressure
  // must never lose, repeat or reorder a byte, nor a half-received head.
  const payload = noise(16, 11);
  const encoded = chunked(payload);
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = '';
    let busy = Promise.resolve();
    s.on('data', (c: Buffer) => {
      pending += c.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const path = pending.split(' ')[1];
        pending = pending.slice(end + 4);
        // One head is small and comes in a few bytes at a time; the other is 20 KiB, most of it in one read (a
        // large read the proxy would read into again, were the incomplete head not holding it).
        const head = path === '/chunked'
          ? 'HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n'
          : `HTTP/1.1 200 OK\r\nx-filler: ${'f'.repeat(20_000)}\r\ncontent-length: ${payload.length}\r\n\r\n`;
        busy = busy
          .then(() => writeInPieces(s, Buffer.from(head, 'latin1'), path === '/chunked' ? [3, 1, 10] : [20_000, 3, 1, 10]))
          .then(() => writeInPieces(s, path === '/chunked' ? encoded : payload));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  const lb = await startProxy(`listen: { web: { bind: "127.0.0.1:0", servers: [ { name: f1, addr: "127.0.0.1:${port}" } ] } }`);
  t.after(() => lb.stop());
  const want = sha256(payload);
  await Promise.all([0, 0, 0, 500].map(async (stallMs) => {
    const s = await openSocket(lb.port('web'));
    t.after(() => s.destroy());
    const all = download(s, stallMs);
    // Both requests at once (pipelined): the proxy holds the second until the first is answered.
    s.write(get('/length') + get('/chunked', 'Connection: close\r\n'));
    const bodies = responseBodies(await all);
    assert.deepEqual(bodies.map((b) => b.status), [200, 200]);
    for (const b of bodies) {
      assert.equal(b.body.length, payload.length);
      assert.equal(sha256(b.body), want);
    }
  }));
});
