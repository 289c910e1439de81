import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError } from '../../src/config/index.js';
import { gossipSettings, rolesPath } from '../../src/controller/config.js';
import { parseMainConfig } from '../../src/main-config/main.js';

test('balancer config: gossip, controller and roles sections', () => {
  const r = parseMainConfig('/etc/lbagent/lbagent.yml', [
    'roles: ./roles.yml',
    'gossip: { node: lb-1, bind: 127.0.0.1:7946, join: [10.0.0.2:7946], encrypt: "cg8StVXbQJ0gPvMd9o7yrg==", profile: local }',
    'controller: { pause_state: maint, failed_grace: 1m, leave_grace: 5s, resync: 30s }',
    'proxy: builtin',
  ].join('\n'));
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  assert.equal(r.value.controller?.failed_grace, 60_000);
  assert.equal(rolesPath('/etc/lbagent/lbagent.yml', r.value.roles as string), '/etc/lbagent/roles.yml');
  const g = gossipSettings(r.value.gossip!);
  assert.deepEqual(g.bind, { host: '127.0.0.1', port: 7946 });
  assert.equal(g.tags.role, 'lb');
  assert.deepEqual(g.encryptKeys, ['cg8StVXbQJ0gPvMd9o7yrg==']);
});

test('balancer config: inline roles are validated like roles.yml', () => {
  const r = parseMainConfig('lb.yml', 'roles:\n  roles:\n    web: { lb: [web] }\n');
  assert.ok(r.ok);
});

const bad: Array<[string, string]> = [
  ['controller:\n  pause_state: off\n', "lb.yml:2:16: 'controller.pause_state' invalid value \"off\" (expected one of drain, maint)"],
  ['controller:\n  failed_grace: soon\n', "lb.yml:2:17: 'controller.failed_grace' invalid duration 'soon'"],
  ['gossip:\n  bind: nowhere\n', "lb.yml:2:9: 'gossip.bind' invalid address 'nowhere'"],
  ['gossip:\n  encrypt: short\n', "lb.yml:2:12: 'gossip.encrypt' invalid encryption key"],
  ['gossip:\n  nod: x\n', "lb.yml:2:3: 'gossip.nod' unknown key 'nod'"],
];
for (const [text, expected] of bad) {
  test(`balancer config rejected with position: ${expected.split(' ')[1]}`, () => {
    const r = parseMainConfig('lb.yml', text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const msgs = r.errors.map(formatConfigError);
    assert.ok(msgs.some((m) => m.startsWith(expected)), msgs.join('\n'));
  });
}
