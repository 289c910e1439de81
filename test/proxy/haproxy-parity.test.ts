// What lbagent writes or rewrites in HTTP, side by side with Debian's HAProxy in the same place: the pages it
// answers itself (deny with each status HAProxy has a page for: status line, headers, body byte for byte), the
// reason phrase of redirects, `cookie … insert nocache` on responses with each kind of cache header, and the
// header rules (del-header -m, replace-header, replace-value) as the server receives them, and the order of a
// frontend's and a backend's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { runHaproxy } from '../helpers/haproxy-process.js';
import { needTool } from '../helpers/tools.js';
import { rawRequest, startProxy } from './fixtures.js';

const PAGES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];
const REDIRECTS = [301, 302, 303, 307, 308];

/** A server that echoes the request headers it got (JSON) and answers with the headers the query names. */
async function echoServer(t: import('node:test').TestContext): Promise<number> {
  const srv = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    for (const [k, v] of url.searchParams) res.setHeader(k, v);
    const seen: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) seen.push(`${req.rawHeaders[i]!.toLowerCase()}: ${req.rawHeaders[i + 1]}`);
    res.end(JSON.stringify(seen.filter((h) => h.startsWith('x-') || h.startsWith('user-agent'))));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return (srv.address() as { port: number }).port;
}

async function startHaproxy(t: import('node:test').TestContext, serverPort: number): Promise<number> {
  const dir = tempDir(t, 'lbagent-parity-');
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, `defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
${PAGES.map((c) => `  http-request deny deny_status ${c} if { path /deny/${c} }`).join('\n')}
${REDIRECTS.map((c) => `  http-request redirect location /to code ${c} if { path /redirect/${c} }`).join('\n')}
  http-request del-header x-internal- -m beg
  http-request del-header ^x-tmp-[0-9]+$ -m reg
  http-request replace-header User-Agent curl foo
  http-request replace-header X-Host ^www\\.(.*)$ \\1
  http-request replace-value X-Forwarded-For ^192\\.168\\.(.*)$ 172.16.\\1
  http-request set-header X-Order fe
  http-response replace-header X-B ^(.*)-be$ \\1-be-fe
  default_backend be
backend be
  http-request replace-header X-Order ^(.*)$ \\1-be
  http-response replace-header X-B ^(.*)$ \\1-be
  cookie SRV insert indirect nocache
  server s1 127.0.0.1:${serverPort} cookie s1
`);
  await runHaproxy(t, cfg, port);
  return port;
}

async function startLbagent(t: import('node:test').TestContext, serverPort: number): Promise<number> {
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: be
    http-request:
${PAGES.map((c) => `      - { deny: { status: ${c} }, if: { path: /deny/${c} } }`).join('\n')}
${REDIRECTS.map((c) => `      - { redirect: { location: /to, code: ${c} }, if: { path: /redirect/${c} } }`).join('\n')}
      - del-header: { name: x-internal-, match: beg }
      - del-header: { name: "^x-tmp-[0-9]+$", match: reg }
      - replace-header: { name: User-Agent, regex: curl, replace: foo }
      - replace-header: { name: X-Host, regex: '^www\\.(.*)$', replace: '\\1' }
      - replace-value: { name: X-Forwarded-For, regex: '^192\\.168\\.(.*)$', replace: '172.16.\\1' }
      - set-header: { name: X-Order, value: fe }
    http-response:
      - replace-header: { name: X-B, regex: '^(.*)-be$', replace: '\\1-be-fe' }
backends:
  be:
    http-request:
      - replace-header: { name: X-Order, regex: '^(.*)$', replace: '\\1-be' }
    http-response:
      - replace-header: { name: X-B, regex: '^(.*)$', replace: '\\1-be' }
    cookie: { name: SRV, mode: insert, indirect: true, nocache: true }
    servers: [{ name: s1, addr: "127.0.0.1:${serverPort}" }]
`);
  t.after(() => lb.stop());
  return lb.port('fe');
}

/** Status line, the headers both write (content-type, cache-control, and what the test names), body. */
async function ask(port: number, path: string, extra = '', names: string[] = []) {
  const r = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`);
  const lines = r.raw.split('\r\n\r\n')[0]!.split('\r\n');
  const keep = ['content-type', 'cache-control', ...names];
  return { statusLine: lines[0], headers: lines.slice(1).map((l) => l.toLowerCase()).filter((l) => keep.some((k) => l.startsWith(`${k}:`))), body: r.body };
}

test('pages, redirects, nocache and header rules come out as HAProxy 2.6 writes them', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const server = await echoServer(t);
  const [hap, ours] = await Promise.all([startHaproxy(t, server), startLbagent(t, server)]);
  const both = async (path: string, extra = '', names: string[] = []) => Promise.all([ask(hap, path, extra, names), ask(ours, path, extra, names)]);

  for (const code of PAGES) {
    const [theirs, mine] = await both(`/deny/${code}`);
    assert.equal(theirs.statusLine.startsWith(`HTTP/1.1 ${code} `), true);
    assert.deepEqual(mine, theirs, `deny_status ${code}`);
  }
  const [deny] = await both('/deny/403');
  assert.equal(deny.body, '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n');
  for (const code of REDIRECTS) {
    const [theirs, mine] = await both(`/redirect/${code}`);
    assert.equal(mine.statusLine, theirs.statusLine, `redirect code ${code}`);
  }

  // nocache: `Cache-control: private` only on a response a shared cache could keep.
  const cases = ['cache-control=public%2C%20max-age%3D3600', 'cache-control=max-age%3D60', 'cache-control=public', 'cache-control=private',
    'cache-control=no-cache', 'cache-control=no-store', 'cache-control=max-age%3D0', 'cache-control=s-maxage%3D0', 'pragma=no-cache',
    'expires=Thu%2C%2001%20Dec%202039%2016%3A00%3A00%20GMT', 'last-modified=Thu%2C%2001%20Dec%202020%2016%3A00%3A00%20GMT', 'etag=abc', ''];
  for (const q of cases) {
    const [theirs, mine] = await both(`/c?${q}`, '', ['set-cookie']);
    assert.deepEqual(mine.headers, theirs.headers, `nocache with ${decodeURIComponent(q) || 'no cache header'}`);
  }
  const [pub] = await both('/c?cache-control=public%2C%20max-age%3D3600', '', ['set-cookie']);
  assert.deepEqual(pub.headers, ['cache-control: public, max-age=3600', 'set-cookie: srv=s1; path=/', 'cache-control: private']);

  const sent = 'X-Internal-Id: 1\r\nx-internal-user: bob\r\nX-Internal: kept\r\nX-Tmp-1: a\r\nX-Tmp-x: b\r\nUser-Agent: curl/7.47.0\r\n' +
    'X-Host: www.example.com\r\nX-Forwarded-For: 192.168.10.1, 192.168.13.24, 10.0.0.37\r\nCookie: SRV=s1\r\n';
  const [theirs, mine] = await both('/h', sent);
  assert.deepEqual(JSON.parse(mine.body), JSON.parse(theirs.body), 'the server receives the same headers');
  assert.ok((JSON.parse(mine.body) as string[]).includes('x-forwarded-for: 172.16.10.1,172.16.13.24, 10.0.0.37'));
  assert.ok((JSON.parse(mine.body) as string[]).includes('x-order: fe-be'), "requests: the frontend's rules, then the backend's");
  const [order, myOrder] = await both('/o?x-b=web', 'Cookie: SRV=s1\r\n', ['x-b']);
  assert.deepEqual(myOrder.headers, order.headers);
  assert.ok(myOrder.headers.includes('x-b: web-be-fe'), "responses: the backend's rules, then the frontend's");
});
