// HAProxy's header rules beyond set/add/del: del-header by name (`-m beg|reg`) or by value (1.x `rspidel`),
// replace-header (the whole value) and replace-value (each comma-separated value), with \1 back-references and
// %[…] values; a backend's own http-request / http-response rules, run before the frontend's responses rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { rawRequest, startBackend, startProxy } from './fixtures.js';

async function setup(t: import('node:test').TestContext) {
  const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    res.setHeader('set-cookie', ['IP=10.0.0.1; path=/', 'SESSION=abc; path=/', 'ip=lower; path=/']);
    res.setHeader('vary', 'Accept, Cookie');
    res.setHeader('x-backend', name);
    res.setHeader('content-type', 'application/json');
    const seen: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) seen.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
    res.end(JSON.stringify(seen));
  };
  const web = await startBackend('web', handler('web'));
  const be2 = await startBackend('be2', handler('be2'));
  t.after(() => Promise.all([web.close(), be2.close()]));
  const lb = await startProxy(`
frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: web
    use_backend:
      - { backend: be2, if: { path_beg: /be } }
    http-request:
      - del-header: { name: X-Internal-, match: beg }
      - del-header: { name: "^x-tmp-[0-9]+$", match: reg }
      - del-header: { name: Cookie, value: { sub: tracking } }
      - replace-header: { name: User-Agent, regex: curl, replace: foo }
      - replace-header: { name: X-Host, regex: '^www\\.(.*)$', replace: '\\1 from %[src]' }
      - replace-value: { name: X-Forwarded-For, regex: '^192\\.168\\.(.*)$', replace: '172.16.\\1' }
    http-response:
      - del-header: { name: Set-Cookie, value: { reg: "(?i)^IP=" } }
      - replace-value: { name: Vary, regex: "^Cookie$", replace: X-Cookie }
      - replace-header: { name: X-Backend, regex: "^(.*)-be$", replace: '\\1-be-fe' }
backends:
  web: { servers: [{ name: w, addr: "127.0.0.1:${web.port}" }] }
  be2:
    servers: [{ name: b, addr: "127.0.0.1:${be2.port}" }]
    acl:
      deny_me: { path_beg: /be/deny }
    http-request:
      - deny: { status: 403 }
        if: deny_me
      - del-header: { name: X-Drop-At-Backend }
    http-response:
      - replace-header: { name: X-Backend, regex: "^(.*)$", replace: '\\1-be' }
`);
  t.after(() => lb.stop());
  return async (path: string, headers: [string, string][]) => {
    const r = await rawRequest(lb.port('fe'), `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    return { ...r, seen: r.status === 200 ? (JSON.parse(r.body) as [string, string][]) : [] };
  };
}

const values = (seen: [string, string][], name: string) => seen.filter(([n]) => n === name).map(([, v]) => v);
const rawValues = (raw: string, name: string) =>
  raw.split('\r\n\r\n')[0]!.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());

test('request rules: del-header -m beg / -m reg on names, by value, replace-header, replace-value', async (t) => {
  const req = await setup(t);
  const { seen } = await req('/', [
    ['X-Internal-Id', '1'], ['x-internal-user', 'bob'], ['X-Internal', 'kept: the name is shorter than the prefix'],
    ['X-Tmp-1', 'a'], ['X-Tmp-22', 'b'], ['X-Tmp-x', 'kept'],
    ['Cookie', 'a=1'], ['Cookie', 'tracking=xyz'],
    ['User-Agent', 'curl/7.47.0'],
    ['X-Host', 'www.example.com'],
    ['X-Forwarded-For', '192.168.10.1, 192.168.13.24, 10.0.0.37'],
    ['X-Drop-At-Backend', 'only be2 drops it'],
  ]);
  assert.deepEqual(values(seen, 'x-internal-id'), []);
  assert.deepEqual(values(seen, 'x-internal-user'), []);
  assert.deepEqual(values(seen, 'x-internal'), ['kept: the name is shorter than the prefix']);
  assert.deepEqual(values(seen, 'x-tmp-1'), []);
  assert.deepEqual(values(seen, 'x-tmp-22'), []);
  assert.deepEqual(values(seen, 'x-tmp-x'), ['kept']);
  assert.deepEqual(values(seen, 'cookie'), ['a=1'], 'only the Cookie line whose value matches goes');
  assert.deepEqual(values(seen, 'user-agent'), ['foo'], "HAProxy's example: the whole value is replaced");
  assert.deepEqual(values(seen, 'x-host'), ['example.com from 127.0.0.1'], 'back-reference and %[src]');
  assert.deepEqual(values(seen, 'x-forwarded-for'), ['172.16.10.1,172.16.13.24, 10.0.0.37'], "HAProxy's replace-value example, spaced as HAProxy 2.6 leaves it");
  assert.deepEqual(values(seen, 'x-drop-at-backend'), ['only be2 drops it'], "another backend's rules do not run");
});

test('response rules: del-header by value (rspidel ^Set-cookie:\\ IP=), replace-value on a list', async (t) => {
  const req = await setup(t);
  const r = await req('/', []);
  assert.deepEqual(rawValues(r.raw, 'set-cookie'), ['SESSION=abc; path=/'], 'IP= and ip= (case-insensitive) are gone, SESSION stays');
  assert.deepEqual(rawValues(r.raw, 'vary'), ['Accept,X-Cookie']);
  assert.deepEqual(rawValues(r.raw, 'x-backend'), ['web'], 'no rule matched: unchanged');
});

test("a backend's own rules: http-request deny and del-header, http-response before the frontend's", async (t) => {
  const req = await setup(t);
  const r = await req('/be/x', [['X-Drop-At-Backend', '1'], ['X-Internal-Id', '1']]);
  assert.equal(r.status, 200);
  assert.deepEqual(values(r.seen, 'x-drop-at-backend'), []);
  assert.deepEqual(values(r.seen, 'x-internal-id'), [], "the frontend's rules ran too");
  assert.deepEqual(rawValues(r.raw, 'x-backend'), ['be2-be-fe'], 'backend rule first, then the frontend rule');
  assert.equal((await req('/be/deny', [])).status, 403);
});

test('header rule errors: bad RE2 regex, bad name, two value matches, unknown ACL in a backend', () => {
  const r = parseMainConfig('h.yml', `frontends:
  fe:
    bind: "127.0.0.1:0"
    default_backend: web
    http-request:
      - replace-header: { name: X-A, regex: "(?=x)", replace: y }
      - del-header: { name: "bad name", match: beg }
      - del-header: { name: X-A, value: { beg: a, end: b } }
backends:
  web: { servers: [] }
`);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map(formatConfigError);
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re} in:\n${lines.join('\n')}`);
  has(/^h\.yml:6:\d+: 'frontends\.fe\.http-request\[0\]\.replace-header\.regex' invalid regex/);
  has(/^h\.yml:7:\d+: 'frontends\.fe\.http-request\[1\]\.del-header\.name' invalid header name/);
  has(/^h\.yml:8:\d+: .*exactly one of str, beg, end, sub, reg/);
  const b = parseMainConfig('b.yml', `frontends:
  fe: { bind: "127.0.0.1:0", default_backend: web }
backends:
  web:
    servers: []
    http-response:
      - del-header: { name: X-B }
        if: nope
`);
  assert.equal(b.ok, false);
  if (!b.ok) assert.match(b.errors.map(formatConfigError).join('\n'), /^b\.yml:8:\d+: 'backends\.web\.http-response\[0\]\.if' unknown ACL 'nope'/m);
});
