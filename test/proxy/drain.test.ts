// Removal and drain semantics: in-flight work finishes within the backend's grace time, then is cut;
// frontend maxconn holds extra connections until a slot frees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { waitFor } from '../helpers/wait.js';
import { closed, openSocket, rawRequest, readResponse, startBackend, startProxy } from './fixtures.js';

test('a removed server finishes its in-flight request; a TCP session past the grace time is cut', async (t) => {
  let finish: (() => void) | undefined;
  const slow = await startBackend('slow', (req, res) => {
    if (req.url === '/slow') finish = () => res.end('slow done');
    else res.end('fast');
  });
  const held = new Set<Socket>();
  const tcp = createServer((s) => held.add(s));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of held) s.destroy();
    return Promise.all([slow.close(), new Promise<void>((r) => tcp.close(() => r()))]);
  });
  const tcpPort = (tcp.address() as { port: number }).port;
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", grace: 10s, servers: [ { name: s, addr: "127.0.0.1:${slow.port}" } ] }
  db: { bind: "127.0.0.1:0", mode: tcp, grace: 300ms, servers: [ { name: d, addr: "127.0.0.1:${tcpPort}" } ] }
`);
  t.after(() => lb.stop());

  const c = await openSocket(lb.port('web'));
  t.after(() => c.destroy());
  const p = readResponse(c);
  c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor('request at the server', () => finish);
  const runtime = lb.proxy.backend('web').servers.get('s')!;
  assert.deepEqual(await lb.proxy.setServers('web', []), { added: [], removed: ['s'], changed: [] });
  assert.equal(runtime.gone, false, 'still finishing');
  assert.equal((await rawRequest(lb.port('web'), 'GET /new HTTP/1.1\r\nHost: x\r\n\r\n')).status, 503, 'no new requests');
  finish!();
  assert.equal((await p).body, 'slow done');
  await waitFor('removal completed', () => runtime.gone);

  const s = await openSocket(lb.port('db'));
  t.after(() => s.destroy());
  await waitFor('tcp session established', () => held.size === 1);
  await lb.proxy.setServers('db', []);
  await closed(s); // cut at the end of the 300ms grace
  assert.equal(lb.proxy.backend('db').removing.size, 0);
});

test('DRAIN takes no new requests while a request in progress finishes', async (t) => {
  let finish: (() => void) | undefined;
  const a = await startBackend('a', (req, res) => {
    if (req.url === '/slow') finish = () => res.end('a slow');
    else res.end('a');
  });
  const b = await startBackend('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", balance: static-rr, servers: [ { name: a, addr: "127.0.0.1:${a.port}" }, { name: b, addr: "127.0.0.1:${b.port}" } ] }
`);
  t.after(() => lb.stop());
  const c = await openSocket(lb.port('web'));
  t.after(() => c.destroy());
  const p = readResponse(c);
  c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor('slow request at a', () => finish);
  await lb.proxy.setState('web', 'a', 'drain');
  const view = (await lb.proxy.snapshot())[0]!.servers.find((x) => x.name === 'a')!;
  assert.equal(view.status, 'DRAIN');
  assert.equal(view.sessions.current, 1);
  for (let i = 0; i < 3; i++) assert.match((await rawRequest(lb.port('web'), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).body, /^b /);
  finish!();
  assert.equal((await p).body, 'a slow');
});

test('frontend maxconn: a connection over the limit waits until a slot frees', async (t) => {
  const a = await startBackend('a');
  t.after(() => a.close());
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", maxconn: 1, servers: [ { name: a, addr: "127.0.0.1:${a.port}" } ] }
`);
  t.after(() => lb.stop());
  const first = await openSocket(lb.port('web'));
  t.after(() => first.destroy());
  const p1 = readResponse(first);
  first.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal((await p1).status, 200);
  const second = await openSocket(lb.port('web'));
  t.after(() => second.destroy());
  let answered = false;
  const p2 = readResponse(second).then((r) => {
    answered = true;
    return r;
  });
  second.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor('second connection held', () => lb.proxy.frontends.get('web')!.stats.current === 1 && a.seen.length === 1);
  assert.equal(answered, false);
  first.destroy();
  assert.equal((await p2).body, 'a /2 0');
});
