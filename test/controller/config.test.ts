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
  ['gossip:\n  event_handlers: ["member-joins=./x.sh"]\n', "lb.yml:2:20: 'gossip.event_handlers[0]' unknown event type 'member-joins'"],
  ['gossip:\n  event_handlers: "user:deploy="\n', "lb.yml:2:19: 'gossip.event_handlers' event handler 'user:deploy=' has no script"],
  ['gossip:\n  rpc_addr: 10.0.0.5:7373\n', "lb.yml:2:13: 'gossip.rpc_addr' RPC address 10.0.0.5 is not loopback and gossip.rpc_auth is not set"],
  ['gossip:\n  rpc_addr: 7373\n', "lb.yml:2:13: 'gossip.rpc_addr' expected an address string or false, got number 7373"],
  ['gossip:\n  rpc_addr: "127.0.0.1:99999"\n', "lb.yml:2:13: 'gossip.rpc_addr' invalid address '127.0.0.1:99999': port 99999 is out of range"],
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

test('balancer config: serf\'s event_handlers and the RPC address (default 127.0.0.1:7373, false for none)', () => {
  const parse = (text: string) => {
    const r = parseMainConfig('lb.yml', text);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    return gossipSettings(r.value.gossip ?? {});
  };
  const d = parse('gossip: { node: lb-1 }');
  assert.deepEqual([d.eventHandlers, d.rpcAddr, d.rpcDefault, d.rpcAuth], [[], { host: '127.0.0.1', port: 7373 }, true, undefined]);
  const one = parse('gossip: { event_handlers: /etc/serf/handler.sh, rpc_addr: "127.0.0.1:7374" }');
  assert.deepEqual([one.eventHandlers, one.rpcAddr, one.rpcDefault], [['/etc/serf/handler.sh'], { host: '127.0.0.1', port: 7374 }, false]);
  const list = parse('gossip: { event_handlers: ["member-join=a.sh", "user:deploy=b.sh"], rpc_addr: false }');
  assert.deepEqual([list.eventHandlers, list.rpcAddr], [['member-join=a.sh', 'user:deploy=b.sh'], undefined]);
  const remote = parse('gossip: { rpc_addr: "0.0.0.0:7373", rpc_auth: k3y }');
  assert.deepEqual([remote.rpcAddr, remote.rpcAuth], [{ host: '0.0.0.0', port: 7373 }, 'k3y']);
});
