// Which settings a reload cannot change in place: named, so a reload never claims to apply them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { restartNeeded } from '../../src/balancer/restart.js';
import type { BalancerFiles } from '../../src/balancer/validate.js';

function files(yaml: string): BalancerFiles {
  const r = parseMainConfig('lb.yml', yaml);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  const roles = r.value.roles;
  return { config: r.value, roles: typeof roles === 'string' ? { roles: {} } : roles };
}

const base = [
  'frontends: { web: { bind: "127.0.0.1:8080", default_backend: app } }',
  'backends: { app: { servers: [] } }',
  'roles: roles.yml',
];
const started = files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: a } }', 'global: { workers: 1 }', 'admin: { token: t1 }'].join('\n'));

test('restartNeeded: what is applied in place is not listed', () => {
  const next = files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: b } }', 'global: { workers: 1, maxconn: 5 }', 'admin: { token: t2, bind: "127.0.0.1:9999" }', 'controller: { pause_state: maint }', 'stats: { bind: "127.0.0.1:8404" }'].join('\n'));
  assert.deepEqual(restartNeeded(started, next), []);
});

test('restartNeeded: workers, log level, gossip identity and transport, data plane, roles on/off are named', () => {
  const next = files([
    'frontends: { web: { bind: "127.0.0.1:8080", default_backend: app } }',
    'backends: { app: { servers: [] } }',
    'gossip: { node: lb-2, bind: "127.0.0.1:7947", encrypt: "cg8StVXbQJ0gPvMd9o7yrg==", profile: wan, join: ["10.0.0.1"] }',
    'global: { workers: auto, log_level: debug }',
  ].join('\n'));
  assert.deepEqual(restartNeeded(started, next), ['global.workers', 'global.log_level', 'roles', 'gossip.node', 'gossip.bind', 'gossip.encrypt', 'gossip.profile', 'gossip.join']);
  assert.deepEqual(restartNeeded(started, next, { logLevelFromEnv: true }).includes('global.log_level'), false, 'LBAGENT_LOG_LEVEL wins over the file anyway');
  const haproxy = files('proxy: haproxy\nhaproxy: { socket: /run/haproxy.sock }\n');
  assert.deepEqual(restartNeeded(started, haproxy)[0], 'proxy');
  assert.deepEqual(restartNeeded(haproxy, files('proxy: haproxy\nhaproxy: { socket: /run/other.sock }\n')), ['haproxy.socket']);
  const consul = (svc: string) => files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: a } }', 'global: { workers: 1 }', 'admin: { token: t1 }', `sources: { consul: { services: [{ name: ${svc} }] } }`].join('\n'));
  assert.deepEqual(restartNeeded(started, consul('web')), ['sources.consul'], 'a Consul source is started with the balancer');
  assert.deepEqual(restartNeeded(consul('web'), consul('api')), ['sources.consul']);
  assert.deepEqual(restartNeeded(consul('web'), consul('web')), []);
});

test('restartNeeded: member sources (sources:) start with the balancer', () => {
  const dns = (interval: string) => files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: a } }', 'global: { workers: 1 }', 'admin: { token: t1 }', `sources: { dns: [{ name: _http._tcp.web.lab, role: web, interval: ${interval} }] }`].join('\n'));
  assert.deepEqual(restartNeeded(started, dns('10s')), ['sources.dns']);
  assert.deepEqual(restartNeeded(dns('10s'), dns('10s')), []);
  assert.deepEqual(restartNeeded(dns('10s'), dns('5s')), ['sources.dns']);
});

test('restartNeeded: gossip.event_handlers change in place, the RPC address and key need a restart', () => {
  const handlers = files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: a }, event_handlers: ["user:deploy=./d.sh"] }', 'global: { workers: 1 }', 'admin: { token: t1 }'].join('\n'));
  assert.deepEqual(restartNeeded(started, handlers), []);
  const rpc = files([...base, 'gossip: { node: lb-1, bind: "127.0.0.1:7946", tags: { dc: a }, rpc_addr: "127.0.0.1:7374", rpc_auth: k }', 'global: { workers: 1 }', 'admin: { token: t1 }'].join('\n'));
  assert.deepEqual(restartNeeded(started, rpc), ['gossip.rpc_addr', 'gossip.rpc_auth']);
});
