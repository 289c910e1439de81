// lbagent import on configurations written elsewhere: Debian's haproxy examples and its default haproxy.cfg (read
// where the package installs them, never copied here), and fixtures in the HAProxy 1.5 and 1.8 styles. Each import
// goes through the real CLI, must pass `lbagent check`, and reports how many directives it carried over; on four of
// them a balancer started from the import serves requests from real backends as the original would have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fixtures, lbagentBin } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { needCondition, needTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { startBackend, type Backend } from '../proxy/fixtures.js';

type Y = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXAMPLES = '/usr/share/doc/haproxy/examples';
const DEBIAN = [...['basic-config-edge', 'content-sw-sample', 'option-http_proxy', 'quick-test', 'socks4', 'transparent_proxy', 'wurfl-example'].map((n) => join(EXAMPLES, `${n}.cfg`)), '/etc/haproxy/haproxy.cfg'];
const OURS = ['haproxy-1.5.cfg', 'haproxy-1.8.cfg'].map((n) => join(fixtures, 'import', n));
const ENV = { ...process.env, STATS_PASSWORD: 's3cret' };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [lbagentBin, ...args], { env: ENV, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The Debian files come with the haproxy package: skipped without it (failed under CI). */
function needFile(t: Parameters<typeof needTool>[0], file: string): boolean {
  if (file.startsWith('/usr/share/doc/haproxy') || file.startsWith('/etc/haproxy')) {
    if (!needTool(t, 'haproxy')) return false;
  }
  return needCondition(t, existsSync(file) ? undefined : `${file} is missing (apt-get install haproxy)`);
}

interface Imported {
  out: string;
  yaml: Y;
  directives: number;
  carried: number;
  left: number;
}

/** `lbagent import FILE -o OUT` with its exit status and counts checked against each other. */
function importFile(t: { diagnostic(m: string): void; after(fn: () => void): void }, file: string, extra: string[] = []): Imported {
  const dir = tempDir(t, 'lbagent-import-');
  const out = join(dir, 'lbagent.yml');
  const r = cli(['import', file, '-o', out, ...extra]);
  const m = /(\d+) directives: (\d+) carried over into .*, (\d+) left over\.\n$/.exec(r.stderr);
  assert.ok(m, `the summary line ends stderr:\n${r.stderr}`);
  const [directives, carried, left] = [Number(m[1]), Number(m[2]), Number(m[3])];
  assert.equal(carried + left, directives);
  assert.equal(r.status, left > 0 ? 2 : 0, 'exit 2 when something was left over, else 0');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('left over: '));
  assert.equal(lines.length, left, 'one stderr line per leftover');
  for (const l of lines) assert.match(l, /^left over: .+:\d+: .+ -- .+$/, 'file:line: directive -- why');
  const text = readFileSync(out, 'utf8');
  assert.match(text, new RegExp(`^# lbagent.yml imported from ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} by \`lbagent import\`\\.`));
  t.diagnostic(`${basename(file)}: ${directives} directives, ${carried} carried over, ${left} left over`);
  return { out, yaml: parse(text) as Y, directives, carried, left };
}

for (const file of [...DEBIAN, ...OURS]) {
  test(`import ${file}: lbagent check accepts the result`, (t) => {
    if (!needFile(t, file)) return;
    const imp = importFile(t, file);
    const check = cli(['check', '-c', imp.out]);
    if (!imp.yaml.frontends && !imp.yaml.listen) {
      // Debian's default haproxy.cfg has only global and defaults: HAProxy accepts it and listens on nothing;
      // lbagent check finds no error and says it will not start (no listener), with HAProxy's words and exit 2.
      assert.equal(check.status, 2, check.stderr);
      assert.match(check.stdout, /Configuration file has no error but will not start \(no listener\)/);
      return;
    }
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /Configuration file is valid/);
  });
}

test('import --roles: a roles file is referenced, in lbagent\'s layout or the serf handler\'s; the backends it names are kept', (t) => {
  const cfg = OURS[0]!;
  const good = importFile(t, cfg, ['--roles', join(fixtures, 'import', 'roles-lbagent.yml')]);
  assert.equal(good.yaml.roles, join(fixtures, 'import', 'roles-lbagent.yml'), 'outside the output directory: an absolute path');
  assert.deepEqual(good.yaml.backends.service_a, { mode: 'http', servers: [] });
  const check = cli(['check', '-c', good.out]);
  assert.equal(check.status, 0, check.stderr);

  // the serf handler's role.yml (roles at the top level, `none`, `interval:`) is read as it is
  const serf = importFile(t, cfg, ['--roles', join(fixtures, 'import', 'serf-role.yml')]);
  assert.equal(serf.yaml.roles, join(fixtures, 'import', 'serf-role.yml'));
  assert.ok(serf.yaml.backends.service_a && serf.yaml.backends.mongo, 'backends the roles name are kept');
  assert.equal(serf.left, good.left);
  assert.equal(cli(['check', '-c', serf.out]).status, 0);
});

test('import: exit 1 when nothing can be written, and --help says the exit statuses', (t) => {
  const dir = tempDir(t, 'lbagent-import-');
  const missing = cli(['import', join(dir, 'nope.cfg')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read .*nope\.cfg: .*LBA_ERR_IMPORT_UNREADABLE/);
  writeFileSync(join(dir, 'empty.cfg'), '# nothing here\n');
  const empty = cli(['import', join(dir, 'empty.cfg')]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /LBA_ERR_IMPORT_NOTHING/);
  writeFileSync(join(dir, 'clean.cfg'), 'defaults\n mode http\nfrontend f\n bind 127.0.0.1:8080\n default_backend b\nbackend b\n server s 127.0.0.1:9000 check\n');
  const clean = cli(['import', join(dir, 'clean.cfg')]);
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /^frontends:\n {2}f:\n {4}bind: 127\.0\.0\.1:8080$/m, 'to stdout without -o');
  const help = cli(['import', '--help']);
  assert.match(help.stdout, /Exit status: 0 everything was carried over; 2 the config was written, with leftovers;\s+1 nothing was written/);
});

// ---- balancers started on imports ----

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'www.example.com', ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The import with every listener on a free loopback port, every server of a backend in `real` on that real
 * backend (check ports dropped), the others on a closed port, and an admin API of its own. Returns the ports.
 */
async function rewrite(yaml: Y, real: Record<string, Backend>): Promise<{ ports: Record<string, number>; admin: number }> {
  const ports: Record<string, number> = {};
  for (const section of ['frontends', 'listen']) {
    for (const [name, fe] of Object.entries((yaml[section] ?? {}) as Y)) {
      ports[name] = await freePort();
      fe.bind = `127.0.0.1:${ports[name]}`;
    }
  }
  for (const section of ['backends', 'listen']) {
    for (const [name, be] of Object.entries((yaml[section] ?? {}) as Y)) {
      for (const s of be.servers ?? []) {
        s.addr = `127.0.0.1:${real[name]?.port ?? 1}`;
        delete s.port;
      }
    }
  }
  if (yaml.stats) yaml.stats.bind = `127.0.0.1:${await freePort()}`;
  if (yaml.global) delete yaml.global.workers;
  const admin = await freePort();
  yaml.admin = { bind: `127.0.0.1:${admin}` };
  return { ports, admin };
}

/** `lbagent balancer -c FILE` on the rewritten import, up once its admin API answers. */
async function balancer(t: { after(fn: () => void): void }, imp: Imported, real: Record<string, Backend>): Promise<Record<string, number>> {
  const { ports, admin } = await rewrite(imp.yaml, real);
  const file = imp.out.replace(/\.yml$/, '.local.yml');
  writeFileSync(file, stringify(imp.yaml));
  const check = cli(['check', '-c', file]);
  assert.equal(check.status, 0, check.stderr);
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { env: { ...ENV, LBAGENT_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (c) => (log += c));
  proc.stderr.on('data', (c) => (log += c));
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  await waitFor('admin API up', async () => {
    if (proc.exitCode !== null) throw new Error(`balancer exited ${proc.exitCode}: ${log}`);
    return (await fetch(`http://127.0.0.1:${admin}/v1/backends`)).ok;
  }, { timeoutMs: 60_000 });
  return ports;
}

async function backends(t: { after(fn: () => Promise<unknown>): void }, names: string[]): Promise<Record<string, Backend>> {
  const out: Record<string, Backend> = {};
  for (const n of names) out[n] = await startBackend(n);
  t.after(() => Promise.all(Object.values(out).map((b) => b.close())));
  return out;
}

/** Polls until a request gets the expected body: servers under check may start DOWN. */
const until = (what: string, ask: () => Promise<Reply>, ok: (r: Reply) => boolean) =>
  waitFor(what, async () => {
    const r = await ask();
    return ok(r) ? r : undefined;
  }, { timeoutMs: 30_000 });

test("a balancer on Debian's quick-test.cfg import serves through its listen", async (t) => {
  const file = join(EXAMPLES, 'quick-test.cfg');
  if (!needFile(t, file)) return;
  const imp = importFile(t, file);
  const real = await backends(t, ['p']);
  const ports = await balancer(t, imp, real);
  const r = await until('the listen answers', () => get(ports.p!, '/hello'), (r) => r.status === 200);
  assert.equal(r.body, 'p /hello 0');
});

test("a balancer on Debian's content-sw-sample.cfg import routes static and dynamic traffic as HAProxy would", async (t) => {
  const file = join(EXAMPLES, 'content-sw-sample.cfg');
  if (!needFile(t, file)) return;
  const imp = importFile(t, file);
  const real = await backends(t, ['static']);
  // A cacheable dynamic page: what `nocache` marks private when it sets the persistence cookie.
  real.dynamic = await startBackend('dynamic', (req, res) => {
    res.setHeader('cache-control', 'public, max-age=60');
    res.end(`dynamic ${req.url} 0`);
  });
  t.after(() => real.dynamic!.close());
  const ports = await balancer(t, imp, real);
  const port = ports.public!;
  await until('/css goes to static', () => get(port, '/css/site.css'), (r) => r.body === 'static /css/site.css 0');
  await until('Host img… goes to static', () => get(port, '/logo.png', { host: 'IMG.example.com' }), (r) => r.body === 'static /logo.png 0');
  const dyn = await until('the rest goes to dynamic', () => get(port, '/login.php'), (r) => r.body === 'dynamic /login.php 0');
  assert.match(String(dyn.headers['set-cookie']), /^DYNSRV=dynsrv\d/, 'cookie insert');
  assert.equal(dyn.headers['cache-control'], 'public, max-age=60, private', 'nocache: Cache-Control: private added to the cacheable response');
});

test('a balancer on the HAProxy 1.5 fixture: reqadd/reqidel/reqirep/rspidel/rspirep/rspadd, httpclose, block and redirect work as in 1.5', async (t) => {
  const imp = importFile(t, OURS[0]!);
  const seenHeaders: Record<string, string | string[] | undefined>[] = []; // requests, not health checks
  const real = await backends(t, ['api_nodes']);
  const farm = await startBackend('webfarm', (req, res) => {
    if (req.url === '/x') seenHeaders.push(req.headers);
    res.setHeader('Server', 'IIS');
    res.setHeader('Set-Cookie', ['IP=10.0.0.11', 'SESSION=abc']);
    if (req.url === '/x') res.setHeader('Location', 'http://www.example.com/next');
    res.end('farm');
  });
  t.after(() => farm.close());
  real.webfarm = farm;
  const ports = await balancer(t, imp, real);
  const r = await until('webfarm answers', () => get(ports.webfarm!, '/x', { 'x-debug': '1', host: 'www.example.com' }), (r) => r.body === 'farm');
  const seen = seenHeaders.at(-1)!;
  assert.equal(seen['x-forwarded-proto'], 'http', 'reqadd');
  assert.equal(seen['x-debug'], undefined, 'reqidel');
  assert.equal(seen['x-forwarded-for'], undefined, "forwardfor except 127.0.0.0/8: this client is excepted");
  assert.equal(r.headers.server, undefined, 'rspidel ^Server:');
  assert.equal(r.headers['x-served-by'], 'webfarm', 'rspadd');
  const cookies = r.headers['set-cookie'] as string[];
  assert.ok(!cookies.some((c) => c.startsWith('IP=')), 'rspidel ^Set-cookie:\\ IP= deletes that cookie');
  assert.ok(cookies.includes('SESSION=abc'), '… and only that one');
  assert.equal(seen.host, 'example.com', 'reqirep ^Host:\\ www\\.(.*) Host:\\ \\1');
  assert.equal(r.headers.location, 'https://www.example.com/next', 'rspirep ^Location:\\ http://(.*) Location:\\ https://\\1');
  assert.equal(seen.connection, 'close', 'option httpclose (defaults): the server connection closes after each response');
  const api = ports.api!;
  await until('api answers', () => get(api, '/v1'), (r) => r.body === 'api_nodes /v1 0');
  assert.equal((await get(api, '/admin/users')).status, 403, 'block if is_admin !office');
  const moved = await get(api, '/v1?q=1', { host: 'OLD-API.example.com' });
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.location, 'https://api.example.com/v1?q=1');
});

test("a balancer on the HAProxy 1.8 fixture: ACL routing, header rules, a backend's own rules, server-side close", async (t) => {
  const imp = importFile(t, OURS[1]!);
  const seen: Record<string, string | string[] | undefined>[] = [];
  const real = await backends(t, ['app', 'blog', 'static']);
  const api = await startBackend('api', (req, res) => {
    if (req.url?.startsWith('/api/')) seen.push(req.headers);
    res.setHeader('X-Powered-By', 'PHP');
    res.setHeader('Location', 'http://api.example.com/login');
    res.end(`api ${req.url}`);
  });
  t.after(() => api.close());
  real.api = api;
  const ports = await balancer(t, imp, real);
  const www = ports.www!;
  const sent = { 'x-debug-trace': '1', 'x-debug-user': 'bob', 'x-tags': 'old-a, keep, old-b', 'user-agent': 'curl/8.1' };
  const r = await until('/api/ goes to api', () => get(www, '/api/users', sent), (r) => r.body === 'api /api/users');
  assert.equal(r.headers['x-powered-by'], undefined, 'http-response del-header');
  assert.equal(r.headers.location, 'https://api.example.com/login', 'http-response replace-header with \\1');
  assert.equal(r.headers['x-api-backend'], 'yes', "the backend's own http-response rule");
  const got = seen.at(-1)!;
  assert.equal(got['x-api'], 'yes', "the backend's own http-request rule (other traffic reaches its frontend)");
  assert.equal(got['x-debug-trace'], undefined, 'del-header X-Debug- -m beg');
  assert.equal(got['x-debug-user'], undefined);
  assert.equal(got['x-tags'], 'new-a, keep,new-b', 'replace-value on each value, spaced as HAProxy 2.6 leaves them');
  assert.equal(got['user-agent'], 'curl', 'replace-header');
  assert.equal(got.connection, 'close', 'httpclose in the backend (and http-server-close in defaults): the server is told to close');
  assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN');
  assert.equal(seen.at(-1)!['x-client-ip'], '127.0.0.1', 'set-header %[src]');
  assert.equal(seen.at(-1)!['x-via'], 'lbagent');
  await until('Host api.example.com goes to api too', () => get(www, '/other', { host: 'eu.api.example.com' }), (r) => r.body === 'api /other');
  await until('blog by host', () => get(www, '/post', { host: 'Blog.Example.com' }), (r) => r.body === 'blog /post 0');
  await until('static by extension', () => get(www, '/a/site.css'), (r) => r.body === 'static /a/site.css 0');
  await until('the rest to app', () => get(www, '/'), (r) => r.body === 'app / 0');
  assert.equal((await get(www, '/', { 'user-agent': 'SQLmap/1.0' })).status, 403, 'deny_status 403 if bad_agent');
});
