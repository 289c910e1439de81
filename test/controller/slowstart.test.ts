// slowstart in the config: per backend, per server, in defaults, per role in roles.yml, and for the HAProxy driver;
// per-role values reach the ServerSpec the data planes get; `lbagent check` takes sensible values and refuses others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigError } from '../../src/config/index.js';
import { desiredPools, toSpec, type DesiredOptions, type ObservedMember } from '../../src/controller/desired.js';
import { parseRoles } from '../../src/controller/roles.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { resolveModel } from '../../src/proxy/model/index.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = 1_000_000;
const OPTS: DesiredOptions = { pauseState: 'drain', failedGraceMs: 30_000, leaveGraceMs: 10_000 };
const member = (name: string, role: string): ObservedMember => ({ name, addr: '10.0.0.1', port: 7946, tags: { role }, status: 'alive', since: NOW - 1000 });

test('roles.yml: slowstart from defaults, the role or the backend entry reaches the ServerSpec', () => {
  const r = parseRoles('roles.yml', [
    'defaults: { slowstart: 10s }',
    'roles:',
    '  web: { lb: [web], slowstart: 30s }',
    '  api: { lb: [{ backend: api, slowstart: 1m }, web] }',
    '  cache: { lb: [cache] }',
    '  batch: { lb: [batch], slowstart: 0 }',
  ].join('\n'));
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  const d = desiredPools([member('w1', 'web'), member('a1', 'api'), member('c1', 'cache'), member('b1', 'batch')], new Map(), r.value, OPTS, NOW);
  const slow = (backend: string, name: string) => toSpec(d.pools.get(backend)!.find((s) => s.name === name)!).slowstart;
  assert.equal(slow('web', 'w1'), 30_000, 'the role');
  assert.equal(slow('api', 'a1'), 60_000, 'the backend entry over the role');
  assert.equal(slow('web', 'a1'), 10_000, 'the defaults');
  assert.equal(slow('cache', 'c1'), 10_000);
  assert.equal(slow('batch', 'b1'), 0, '0 turns it off for this role');
  // without any, the spec carries none: the backend's own slowstart applies in the data plane
  const none = parseRoles('roles.yml', 'roles:\n  web: { lb: [web] }\n');
  assert.ok(none.ok);
  const spec = toSpec(desiredPools([member('w1', 'web')], new Map(), none.value, OPTS, NOW).pools.get('web')![0]!);
  assert.equal('slowstart' in spec, false);
});

const GOOD = `
defaults: { slowstart: 5s }
backends:
  web:
    slowstart: 30s
    servers: [ { name: a, addr: "127.0.0.1:8080", slowstart: 1m }, { name: b, addr: "127.0.0.1:8081" } ]
  api: { servers: [ { name: c, addr: "127.0.0.1:8082", slowstart: 0 } ] }
frontends:
  fe: { bind: "127.0.0.1:0", default_backend: web }
roles:
  roles:
    web: { lb: [web, { backend: api, slowstart: 500ms }], slowstart: 2m }
haproxy:
  socket: /run/haproxy/admin.sock
  backends: { web: { managed: true, slowstart: 20s } }
`;

test('lbagent.yml: slowstart on a backend, a server, defaults, inline roles and haproxy.backends', () => {
  const r = parseMainConfig('lb.yml', GOOD);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  const model = resolveModel(r.value);
  const web = model.backends.find((b) => b.name === 'web')!;
  const api = model.backends.find((b) => b.name === 'api')!;
  assert.equal(web.slowstartMs, 30_000);
  assert.equal(api.slowstartMs, 5000, 'from defaults');
  assert.equal(web.servers[0]!.slowstart, 60_000);
  assert.equal(web.servers[1]!.slowstart, undefined, "the backend's applies");
  assert.equal(api.servers[0]!.slowstart, 0);
  assert.equal(r.value.haproxy?.backends?.web?.slowstart, 20_000);
  const plain = parseMainConfig('lb.yml', 'listen:\n  x: { bind: "127.0.0.1:0", servers: [] }\n');
  assert.ok(plain.ok);
  assert.equal(resolveModel(plain.value).backends[0]!.slowstartMs, 0, 'off unless configured');
});

const BAD: Array<[string, string]> = [
  ['backends:\n  web:\n    slowstart: soon\n', "lb.yml:3:16: 'backends.web.slowstart' invalid duration 'soon'"],
  ['backends:\n  web:\n    slowstart: -5\n', "lb.yml:3:16: 'backends.web.slowstart' invalid duration -5"],
  ['backends:\n  web:\n    servers: [ { name: a, addr: "127.0.0.1:80", slowstart: true } ]\n', "lb.yml:3:60: 'backends.web.servers[0].slowstart'"],
  ['defaults:\n  slowstart: 1 minute\n', "lb.yml:2:14: 'defaults.slowstart' invalid duration '1 minute'"],
  ['roles:\n  roles:\n    web: { lb: [web], slowstart: 3x }\n', "lb.yml:3:34: 'roles.roles.web.slowstart' invalid duration '3x'"],
];
for (const [text, expected] of BAD) {
  test(`slowstart refused with its position: ${expected.split(' ')[1]}`, () => {
    const r = parseMainConfig('lb.yml', text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const msgs = r.errors.map(formatConfigError);
    assert.ok(msgs.some((m) => m.startsWith(expected)), `${msgs.join('\n')}\n does not start with ${expected}`);
  });
}

test('lbagent check: a file with slowstart passes; a bad slowstart is an error at its line', (t) => {
  const dir = tempDir(t, 'lbagent-slowstart-');
  const good = join(dir, 'good.yml');
  writeFileSync(good, GOOD.replace(/haproxy:[\s\S]*$/, ''));
  const ok = spawnSync(process.execPath, [lbagentBin, 'check', '-c', good], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, GOOD.replace(/haproxy:[\s\S]*$/, '').replace('slowstart: 30s', 'slowstart: fast'));
  const no = spawnSync(process.execPath, [lbagentBin, 'check', '-c', bad], { encoding: 'utf8' });
  assert.equal(no.status, 1);
  assert.match(no.stdout + no.stderr, /bad\.yml:5:16: 'backends\.web\.slowstart' invalid duration 'fast'/);
});
