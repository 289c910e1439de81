// HTTP routing and header rules: each condition kind and its negation, AND / OR, rule order, redirects, deny,
// set/add/del-header on requests and responses, HAProxy variables; config errors with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { rawRequest, startBackend, startProxy } from './fixtures.js';

async function setup(t: import('node:test').TestContext) {
  const names = ['api', 'static', 'blog', 'admin', 'web'];
  const backends = await Promise.all(
    names.map((n) =>
      startBackend(n, (req, res) => {
        res.setHeader('server', 'nginx/1.0');
        res.setHeader('x-backend', n);
        res.end(`${n} ${req.url} xfp=${req.headers['x-forwarded-proto'] ?? ''} client=${req.headers['x-client'] ?? ''} debug=${req.headers['x-debug'] ?? ''}`);
      }),
    ),
  );
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const [api, stat, blog, admin, web] = backends.map((b) => b.port);
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: web
    acl:
      is_api: { path_beg: [/api/, /v2/] }
      is_static: { path_end: [.css, .js] }
      is_img: { path_reg: "^/img/[0-9]+\\\\.png$" }
      blog_host: { hdr_dom: example.org }
      admin_host: { host: admin.example.com }
      internal: { src: [127.0.0.0/8] }
      has_debug: { hdr: { name: X-Debug } }
      debug_on: { hdr: { name: X-Debug, value: "on" } }
      mobile: { hdr_reg: { name: User-Agent, regex: "(?i)iphone|android" } }
      is_post: { method: POST }
    http-request:
      - deny: { status: 403 }
        if: { path_beg: /forbidden }
      - redirect: { scheme: https, code: 301 }
        if: { path_beg: /secure }
      - redirect: { location: "https://m.example.com%[path]" }
        if: mobile
      - redirect: { prefix: /new }
        if: { path_beg: /old }
      - set-header: { name: X-Forwarded-Proto, value: https }
      - add-header: { name: X-Client, value: "%[src]:%[dst_port] %[req.hdr(host)]" }
      - del-header: { name: X-Debug }
        unless: debug_on
    http-response:
      - del-header: { name: Server }
      - set-header: { name: X-Served-By, value: lbagent }
        if: is_api
    use_backend:
      - { backend: admin, if: "admin_host internal" }
      - { backend: api, if: "is_api !is_post" }
      - { backend: static, if: "is_static || is_img" }
      - { backend: blog, if: blog_host }
backends:
  api: { servers: [{ name: a, addr: "127.0.0.1:${api}" }] }
  static: { servers: [{ name: s, addr: "127.0.0.1:${stat}" }] }
  blog: { servers: [{ name: b, addr: "127.0.0.1:${blog}" }] }
  admin: { servers: [{ name: ad, addr: "127.0.0.1:${admin}" }] }
  web: { servers: [{ name: w, addr: "127.0.0.1:${web}" }] }
`);
  t.after(() => lb.stop());
  const port = lb.port('fe');
  return (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: ${headers.Host ?? 'www.example.com'}\r\n${Object.entries(headers).filter(([k]) => k !== 'Host').map(([k, v]) => `${k}: ${v}\r\n`).join('')}Content-Length: 0\r\n\r\n`);
}

test('use_backend: path, host, domain, regex, source, AND, OR, negation, first match wins, else default_backend', async (t) => {
  const req = await setup(t);
  const to = async (path: string, headers: Record<string, string> = {}, method = 'GET') => (await req(path, headers, method)).body.split(' ')[0];
  assert.equal(await to('/api/users'), 'api');
  assert.equal(await to('/v2/x'), 'api');
  assert.equal(await to('/api/users', {}, 'POST'), 'web', '"is_api !is_post": negation');
  assert.equal(await to('/app.css'), 'static');
  assert.equal(await to('/img/42.png'), 'static', 'OR with a regex');
  assert.equal(await to('/img/x.png'), 'web');
  assert.equal(await to('/', { Host: 'blog.example.org' }), 'blog', 'hdr_dom matches a subdomain');
  assert.equal(await to('/', { Host: 'example.org:8080' }), 'blog', 'port ignored');
  assert.equal(await to('/', { Host: 'notexample.org' }), 'web', 'hdr_dom matches on label boundaries');
  assert.equal(await to('/', { Host: 'admin.example.com' }), 'admin', 'host AND src');
  assert.equal(await to('/api/x', { Host: 'admin.example.com' }), 'admin', 'first matching rule wins');
  assert.equal(await to('/plain'), 'web', 'no rule matches: default_backend');
});

test('http-request: deny, redirects (scheme, location with variables, prefix), set/add/del-header with conditions', async (t) => {
  const req = await setup(t);
  assert.equal((await req('/forbidden/x')).status, 403);
  const https = await req('/secure/page?a=1', { Host: 'shop.example.com' });
  assert.equal(https.status, 301);
  assert.equal(https.headers.location, 'https://shop.example.com/secure/page?a=1');
  const mobile = await req('/catalog', { 'User-Agent': 'Mozilla/5.0 (iPhone)' });
  assert.equal(mobile.status, 302);
  assert.equal(mobile.headers.location, 'https://m.example.com/catalog');
  const moved = await req('/old/thing');
  assert.equal(moved.headers.location, '/new/old/thing');
  const ok = await req('/plain', { 'X-Debug': 'yes' });
  assert.match(ok.body, /xfp=https /, 'set-header replaced X-Forwarded-Proto');
  assert.match(ok.body, /client=127\.0\.0\.1:\d+ www\.example\.com /, 'add-header with %[src]:%[dst_port] %[req.hdr(host)]');
  assert.match(ok.body, /debug=$/, 'del-header unless debug_on');
  assert.match((await req('/plain', { 'X-Debug': 'on' })).body, /debug=on$/);
});

test('http-response: del-header and a conditional set-header', async (t) => {
  const req = await setup(t);
  const api = await req('/api/x');
  assert.equal(api.headers.server, undefined);
  assert.equal(api.headers['x-served-by'], 'lbagent');
  const web = await req('/plain');
  assert.equal(web.headers['x-served-by'], undefined);
  assert.equal(web.headers['x-backend'], 'web');
});

test('rule errors are reported with positions: unknown ACL, unknown backend, bad regex, bad fetch', () => {
  const r = parseMainConfig('r.yml', `frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: web
    acl:
      bad_re: { path_reg: "([" }
    use_backend:
      - { backend: nope, if: missing_acl }
    http-request:
      - set-header: { name: X-A, value: "%[rand]" }
backends:
  web: { servers: [] }
`);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map(formatConfigError);
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re} in:\n${lines.join('\n')}`);
  has(/^r\.yml:6:\d+: 'frontends\.fe\.acl\.bad_re\.path_reg' invalid regex/);
  has(/^r\.yml:8:\d+: 'frontends\.fe\.use_backend\[0\]\.backend' unable to find backend 'nope'/);
  has(/^r\.yml:8:\d+: 'frontends\.fe\.use_backend\[0\]\.if' unknown ACL 'missing_acl'/);
  has(/^r\.yml:10:\d+: 'frontends\.fe\.http-request\[0\]\.set-header\.value' unsupported sample fetch %\[rand\]/);
});

test('ACL regexes are RE2: a pattern that backtracks in JavaScript answers at once; look-around is refused at load', async (t) => {
  const app = await startBackend('app');
  t.after(() => app.close());
  // (a+)+$ against 'aaaa…!' takes JavaScript's engine seconds per few more a's; RE2 is linear in the path
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: app
    acl:
      evil: { path_reg: "^/(a+)+$" }
      evil_hdr: { hdr_reg: { name: X-Probe, regex: "^(a|aa)+$" } }
    http-request:
      - deny: { status: 403 }
        if: "evil || evil_hdr"
backends:
  app: { servers: [{ name: a, addr: "127.0.0.1:${app.port}" }] }
`);
  t.after(() => lb.stop());
  const attack = `/${'a'.repeat(40)}!`;
  const started = performance.now();
  const r = await rawRequest(lb.port('fe'), `GET ${attack} HTTP/1.1\r\nHost: x\r\nX-Probe: ${'a'.repeat(40)}!\r\nContent-Length: 0\r\n\r\n`);
  const ms = performance.now() - started;
  assert.equal(r.status, 200, 'neither matches, so the request passes');
  assert.ok(ms < 5000, `answered in ${Math.round(ms)} ms`); // JavaScript's engine needs minutes for 40 a's
  assert.equal((await rawRequest(lb.port('fe'), 'GET /aaaa HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')).status, 403);

  const bad = parseMainConfig('r.yml', 'frontends:\n  fe:\n    bind: "127.0.0.1:0"\n    default_backend: web\n    acl:\n      ahead: { path_reg: "^/(?=admin)" }\nbackends:\n  web: { servers: [] }\n');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(formatConfigError(bad.errors[0]!), /^r\.yml:6:\d+: 'frontends\.fe\.acl\.ahead\.path_reg' invalid regex.*\(expected an RE2 regular expression/);
});
