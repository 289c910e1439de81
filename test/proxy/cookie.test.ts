// Cookie persistence (HAProxy's `cookie SERVERID insert indirect nocache`, rewrite, prefix): sticky while UP,
// kept on DRAIN, moved on MAINT/DOWN with the cookie rewritten, stale cookies rebalanced, values surviving pool swaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startBackend, startProxy } from './fixtures.js';

async function setup(t: import('node:test').TestContext, cookie: string, handler?: (name: string) => Parameters<typeof startBackend>[1]) {
  const a = await startBackend('a', handler?.('a') ?? ((req, res) => res.end(`a cookie=${req.headers.cookie ?? ''}`)));
  const b = await startBackend('b', handler?.('b') ?? ((req, res) => res.end(`b cookie=${req.headers.cookie ?? ''}`)));
  t.after(() => Promise.all([a.close(), b.close()]));
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    cookie: ${cookie}
    servers:
      - { name: a, addr: "127.0.0.1:${a.port}" }
      - { name: b, addr: "127.0.0.1:${b.port}" }
`);
  t.after(() => lb.stop());
  const get = (cookieHeader?: string) =>
    rawRequest(lb.port('web'), `GET / HTTP/1.1\r\nHost: x\r\n${cookieHeader ? `Cookie: ${cookieHeader}\r\n` : ''}\r\n`);
  return { lb, get, ports: { a: a.port, b: b.port } };
}

test('insert indirect nocache: sticky while UP, kept on DRAIN, moved and rewritten on MAINT, stale cookies rebalanced', async (t) => {
  const { lb, get, ports } = await setup(t, '{ name: SERVERID, mode: insert, indirect: true, nocache: true }');
  const first = await get();
  const server = first.body.split(' ')[0]!;
  assert.equal(first.headers['set-cookie'], `SERVERID=${server}; path=/`);
  // nocache as HAProxy: a response without freshness or validator is not cacheable, so it is not marked
  // (test/proxy/haproxy-parity.test.ts compares each case with HAProxy).
  assert.equal(first.headers['cache-control'], undefined);
  for (let i = 0; i < 6; i++) {
    const r = await get(`SERVERID=${server}; other=1`);
    assert.equal(r.body, `${server} cookie=other=1`, 'sticks, and the server never sees SERVERID (indirect)');
    assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not re-set');
  }
  const other = server === 'a' ? 'b' : 'a';
  await lb.proxy.setState('web', server, 'drain');
  assert.equal((await get(`SERVERID=${server}`)).body.split(' ')[0], server, 'DRAIN keeps cookie holders');
  assert.equal((await get()).body.split(' ')[0], other, 'new clients avoid the draining server');
  await lb.proxy.setState('web', server, 'maint');
  const moved = await get(`SERVERID=${server}`);
  assert.equal(moved.body.split(' ')[0], other, 'MAINT: rebalanced');
  assert.equal(moved.headers['set-cookie'], `SERVERID=${other}; path=/`, 'and the cookie rewritten');
  const stale = await get('SERVERID=gone');
  assert.match(stale.headers['set-cookie'] ?? '', /^SERVERID=[ab]; path=\//);
  // Pool swap: the server is removed and re-added under the same name; its cookie still works.
  await lb.proxy.setServers('web', [{ name: other, addr: '127.0.0.1', port: ports[other as 'a' | 'b'] }]);
  await lb.proxy.setServers('web', [
    { name: 'a', addr: '127.0.0.1', port: ports.a },
    { name: 'b', addr: '127.0.0.1', port: ports.b },
  ]);
  for (let i = 0; i < 4; i++) assert.equal((await get(`SERVERID=${server}`)).body.split(' ')[0], server, 're-added server keeps its cookie');
});

test('rewrite and prefix modes change the server\'s own cookie', async (t) => {
  const setsCookie = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    res.setHeader('set-cookie', 'JSESSIONID=abc123; Path=/app');
    res.end(`${name} cookie=${req.headers.cookie ?? ''}`);
  };
  const rw = await setup(t, '{ name: JSESSIONID, mode: rewrite }', setsCookie);
  const r1 = await rw.get();
  const s1 = r1.body.split(' ')[0]!;
  assert.equal(r1.headers['set-cookie'], `JSESSIONID=${s1}; Path=/app`);
  assert.equal((await rw.get(`JSESSIONID=${s1}`)).body.split(' ')[0], s1);
  const px = await setup(t, '{ name: JSESSIONID, mode: prefix }', setsCookie);
  const r2 = await px.get();
  const s2 = r2.body.split(' ')[0]!;
  assert.equal(r2.headers['set-cookie'], `JSESSIONID=${s2}~abc123; Path=/app`);
  const back = await px.get(`JSESSIONID=${s2}~abc123`);
  assert.equal(back.body, `${s2} cookie=JSESSIONID=abc123`, 'sticks, and the server gets its own value back');
});
