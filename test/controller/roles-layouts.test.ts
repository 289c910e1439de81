// roles.yml as users of the serf + HAProxy handler already have it (roles at the top level, `none`, `interval:`)
// and lbagent's own layout are one schema: the same rules for `lbagent check`, the balancer's start, its reloads
// and its roles.yml watcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigError } from '../../src/config/index.js';
import { loadRolesChecked, validateBalancerFiles } from '../../src/balancer/validate.js';
import { parseRoles, referencedBackends } from '../../src/controller/roles.js';
import { backendPorts, parseMainConfig } from '../../src/main-config/main.js';
import { fixtures, lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const ARTICLE = join(fixtures, 'roles', 'article-role.yml');
const BALANCER = join(fixtures, 'roles', 'article-lbagent.yml');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [lbagentBin, ...args], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("the article's role.yml: roles at the top level, a name or a list, none, interval (a bare number is seconds)", () => {
  const r = parseRoles('role.yml', 'iis:\n  lb: [web_pool]\n  monitor: [iis_check]\n  interval: 5s\nweb_service_a:\n  lb: none\n  monitor: none\n  interval: 10\nmongo:\n  lb: mongo\n  monitor: [none, mongo_check]\n');
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  assert.deepEqual(r.value.roles.iis, { lb: [{ backend: 'web_pool' }], monitor: [{ backend: 'iis_check' }], interval: 5000, check: { interval: 5000 } });
  assert.deepEqual(r.value.roles.web_service_a, { lb: [], monitor: [], interval: 10_000, check: { interval: 10_000 } });
  assert.deepEqual(r.value.roles.mongo, { lb: [{ backend: 'mongo' }], monitor: [{ backend: 'mongo_check' }] });
  assert.deepEqual([...referencedBackends(r.value)].sort(), ['iis_check', 'mongo', 'mongo_check', 'web_pool']);
  // lbagent's layout reads the same
  const wrapped = parseRoles('roles.yml', 'roles:\n  iis: { lb: web_pool, monitor: [iis_check], interval: 5s }\n');
  assert.ok(wrapped.ok);
  assert.deepEqual(wrapped.value.roles.iis, r.value.roles.iis);
});

test('lbagent check accepts the article\'s role.yml unchanged, as a file and inline, and says where a backend is unknown', (t) => {
  const ok = cli(['check', '-c', BALANCER]);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /Configuration file is valid/);

  const dir = tempDir(t, 'lbagent-roles-');
  copyFileSync(BALANCER, join(dir, 'lbagent.yml'));
  // monitor named alone, after a none in a list: the error points at the entry as written
  writeFileSync(join(dir, 'article-role.yml'), 'iis:\n  lb: [none, web_pool]\n  monitor: iis_chek\nmongo:\n  lb: [none, mongo]\n');
  const bad = cli(['check', '-c', join(dir, 'lbagent.yml')]);
  assert.equal(bad.status, 1, bad.out);
  assert.match(bad.out, /article-role\.yml:3:12: 'iis\.monitor' unknown backend 'iis_chek' \(expected iis_check, service_a, web_pool\)/);
  assert.match(bad.out, /article-role\.yml:5:14: 'mongo\.lb\[1\]' unknown backend 'mongo'/);

  const inline = join(dir, 'inline.yml');
  writeFileSync(inline, 'frontends:\n  web: { bind: 127.0.0.1:0, default_backend: web_pool }\nbackends:\n  web_pool: { port: 80 }\nroles:\n  iis: { lb: web_pool, monitor: none, interval: 5s }\n  web_service_a: { lb: none, monitor: none, interval: 10 }\n  api: { lb: [apii] }\n');
  const r = cli(['check', '-c', inline]);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /inline\.yml:8:15: 'roles\.api\.lb\[0\]' unknown backend 'apii'/);
  writeFileSync(inline, 'frontends:\n  web: { bind: 127.0.0.1:0, default_backend: web_pool }\nbackends:\n  web_pool: { port: 80 }\nroles:\n  iis: { lb: web_pool, monitor: none, interval: 5s }\n');
  assert.equal(cli(['check', '-c', inline]).status, 0);
});

test('the balancer (start, reload, roles.yml watcher) and check apply the same function to the same file', () => {
  const files = validateBalancerFiles(BALANCER);
  assert.ok(files.ok, files.ok ? '' : files.errors.map(formatConfigError).join('\n'));
  assert.equal(files.value.rolesFile, ARTICLE);
  // what the watcher calls on each save of roles.yml
  const watched = loadRolesChecked(ARTICLE, files.value.config);
  assert.ok(watched.ok);
  assert.deepEqual(watched.value, files.value.roles);
  assert.deepEqual(files.value.roles!.roles.web_service_a!.lb, [], '`none` is no backend for both');
});

test("each backend's port for the controller: backends.NAME.port, or haproxy.backends.NAME.port with proxy: haproxy", () => {
  const files = validateBalancerFiles(BALANCER);
  assert.ok(files.ok);
  assert.deepEqual(Object.fromEntries(backendPorts(files.value.config)), { web_pool: 80, iis_check: 80, service_a: 1111 });
  const h = parseMainConfig('h.yml', 'proxy: haproxy\nhaproxy:\n  socket: /run/haproxy.sock\n  backends:\n    web_pool: { port: 80 }\n    mongo: { managed: true, port: 27017 }\n');
  assert.ok(h.ok, h.ok ? '' : h.errors.map(formatConfigError).join('\n'));
  assert.deepEqual(Object.fromEntries(backendPorts(h.value)), { web_pool: 80, mongo: 27017 });
});
