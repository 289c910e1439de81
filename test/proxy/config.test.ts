import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatConfigError } from '../../src/config/index.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { resolveModel } from '../../src/proxy/model/index.js';
import { lbagentBin, repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);

function errorsOf(yaml: string): string[] {
  const r = parseMainConfig('lb.yml', yaml);
  assert.equal(r.ok, false, 'config should be rejected');
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test('a full config resolves with HAProxy defaults and units', () => {
  const r = parseMainConfig('lb.yml', `
global: { maxconn: 500 }
defaults: { timeout: { connect: 2s, client: 1m }, retries: 2 }
frontends:
  web: { bind: ["*:8080", "[::1]:8080"], default_backend: app, forwardfor: { except: 10.0.0.0/8 } }
backends:
  app:
    balance: leastconn
    grace: 30s
    timeout: { queue: 500ms }
    check: { type: http, path: /health, status: "200-399" }
    sorry: { response: { status: 503, body: down } }
    servers:
      - { name: a, addr: "10.0.0.1:80", weight: 10, maxconn: 100, check: true, inter: 2s, rise: 2, fall: 3 }
      - { name: b, addr: "10.0.0.2:80", backup: true }
gossip: { bind: "0.0.0.0:7946" }
`);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  const m = resolveModel(r.value);
  const fe = m.frontends[0]!;
  assert.deepEqual(fe.binds, [{ host: '0.0.0.0', port: 8080 }, { host: '::1', port: 8080 }]);
  assert.equal(fe.maxconn, 500);
  assert.equal(fe.timeouts.client, 60_000);
  assert.equal(fe.timeouts.httpRequest, 60_000, 'http-request falls back to timeout client');
  assert.deepEqual(fe.forwardfor, { except: ['10.0.0.0/8'] });
  const be = m.backends[0]!;
  assert.equal(be.timeouts.connect, 2000);
  assert.equal(be.timeouts.queue, 500);
  assert.equal(be.retries, 2);
  assert.equal(be.graceMs, 30_000);
  assert.equal(be.maxconn.a, 100);
  assert.deepEqual(be.servers[0], { name: 'a', addr: '10.0.0.1', port: 80, weight: 10, backup: false, monitorOnly: false, check: { enabled: true, inter: 2000, rise: 2, fall: 3, port: undefined }, reason: 'static server from lbagent.yml' });
});

test('config errors point at file:line:col of the offending key', () => {
  const errs = errorsOf(`frontends:
  web:
    bind: "127.0.0.1:99999"
    mode: udp
    default_backend: nowhere
backends:
  app:
    balance: roundrobin
    servers:
      - { name: a, addr: "10.0.0.1:80", weight: 300 }
      - { name: a, addr: "10.0.0.2:80" }
    timeout: { connect: 5 parsecs }
`);
  const joined = errs.join('\n');
  assert.match(joined, /^lb\.yml:3:11: 'frontends\.web\.bind' invalid address '127\.0\.0\.1:99999': port 99999 is out of range \(0 to 65535\)/m);
  assert.match(joined, /^lb\.yml:4:11: 'frontends\.web\.mode' invalid value "udp" \(expected one of http, tcp\)/m);
  assert.match(joined, /^lb\.yml:10:\d+: 'backends\.app\.servers\[0\]\.weight'/m);
  assert.match(joined, /^lb\.yml:12:25: 'backends\.app\.timeout\.connect' invalid duration '5 parsecs'/m);
});

test('cross-checks: missing default_backend, sorry backend, duplicate servers, bad balance, unknown keys', () => {
  const errs = errorsOf(`frontends:
  web: { bind: ":80", default_backend: nowhere }
backends:
  app:
    balance: fastest
    sorry: { backend: ghost }
    servers:
      - { name: a, addr: "10.0.0.1:80" }
      - { name: a, addr: "10.0.0.2:80" }
    colour: blue
`).join('\n');
  assert.match(errs, /^lb\.yml:2:40: 'frontends\.web\.default_backend' unable to find required default_backend 'nowhere'/m);
  assert.match(errs, /unknown key 'colour'/);
  // Cross-checks run once the shape is valid; fix the unknown key to see them all.
  const cross = errorsOf(`frontends:
  web: { bind: ":80", default_backend: nowhere }
backends:
  app:
    balance: fastest
    sorry: { backend: ghost }
    servers:
      - { name: a, addr: "10.0.0.1:80" }
      - { name: a, addr: "10.0.0.2:80" }
`).join('\n');
  assert.match(cross, /^lb\.yml:2:40: .*default_backend 'nowhere'/m);
  assert.match(cross, /^lb\.yml:5:14: 'backends\.app\.balance' /m);
  assert.match(cross, /^lb\.yml:6:23: 'backends\.app\.sorry\.backend' unable to find sorry backend 'ghost'/m);
  assert.match(cross, /^lb\.yml:9:17: 'backends\.app\.servers\[1\]\.name' server 'a' already defined/m);
});

test('lbagent check: valid file prints "Configuration file is valid"; an invalid one exits 1 with every error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yml');
  const bad = join(dir, 'bad.yml');
  writeFileSync(good, `listen:\n  web: { bind: "127.0.0.1:8080", servers: [ { name: a, addr: "127.0.0.1:9000" } ] }\n`);
  writeFileSync(bad, `frontends:\n  web: { bind: nope, default_backend: x }\n`);
  const ok = await run(process.execPath, [lbagentBin, 'check', '-c', good], { cwd: repoRoot });
  assert.equal(ok.stdout, 'Configuration file is valid\n');
  await assert.rejects(run(process.execPath, [lbagentBin, 'check', '-c', bad], { cwd: repoRoot }), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /bad\.yml:2:16: 'frontends\.web\.bind' invalid address 'nope'/);
    return true;
  });
  // The shipped examples are valid.
  for (const ex of ['examples/lbagent.yml']) {
    const r = await run(process.execPath, [lbagentBin, 'check', '-c', join(repoRoot, ex)], { cwd: repoRoot });
    assert.equal(r.stdout, 'Configuration file is valid\n', ex);
  }
});

test('lbagent check also validates the roles: the roles.yml it names and inline roles, whose backends must exist', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-check-roles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = `frontends:\n  web: { bind: "127.0.0.1:8080", default_backend: app }\nbackends:\n  app: { servers: [] }\n`;
  writeFileSync(join(dir, 'lb.yml'), `gossip: { bind: "127.0.0.1:7946" }\nroles: roles.yml\n${proxy}`);
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web:\n    lb: [app, ghost]\n  api:\n    monitor:\n      - { backend: nowhere, port: 9000 }\n    weight: 999\n');
  await assert.rejects(run(process.execPath, [lbagentBin, 'check', '-c', join(dir, 'lb.yml')], { cwd: repoRoot }), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /roles\.yml:3:15: 'roles\.web\.lb\[1\]' unknown backend 'ghost' \(expected app\)/);
    assert.match(err.stderr, /roles\.yml:6:20: 'roles\.api\.monitor\[0\]\.backend' unknown backend 'nowhere'/);
    assert.match(err.stderr, /roles\.yml:7:13: 'roles\.api\.weight'/);
    return true;
  });
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web:\n    lb: [app]\n');
  assert.equal((await run(process.execPath, [lbagentBin, 'check', '-c', join(dir, 'lb.yml')], { cwd: repoRoot })).stdout, 'Configuration file is valid\n');
  // Inline roles: errors point into lbagent.yml itself (not a bare "Invalid input" for the path-or-map choice).
  writeFileSync(join(dir, 'inline.yml'), `roles:\n  roles:\n    web: { lb: [zzz] }\n${proxy}`);
  await assert.rejects(run(process.execPath, [lbagentBin, 'check', '-c', join(dir, 'inline.yml')], { cwd: repoRoot }), (err: { stderr: string }) => {
    assert.match(err.stderr, /inline\.yml:3:17: 'roles\.roles\.web\.lb\[0\]' unknown backend 'zzz'/);
    return true;
  });
});

test('a tcp-expect check without a pattern is refused with its position', async () => {
  const { parseMainConfig } = await import('../../src/main-config/main.js');
  const r = parseMainConfig('t.yml', 'backends:\n  b:\n    check: { type: tcp-expect, send: "PING" }\n    servers: []\n');
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.errors.some((e) => e.line === 3 && /tcp-expect check needs a pattern/.test(e.message)), JSON.stringify(r.errors));
});
