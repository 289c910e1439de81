// SRV records as members (pure) and the sources.dns section of lbagent.yml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyWeight, toMembers, type SrvAnswerRecord } from '../../src/sources/dns/index.js';
import { parseMainConfig } from '../../src/main-config/index.js';
import { formatConfigError } from '../../src/config/index.js';

test('dns: SRV weight 0..65535 maps to 1..256 as HAProxy does (weight / 256 + 1)', () => {
  const table: Array<[number, number]> = [[0, 1], [1, 1], [255, 1], [256, 2], [511, 2], [512, 3], [25_600, 101], [65_279, 255], [65_280, 256], [65_535, 256]];
  for (const [srv, ha] of table) assert.equal(haproxyWeight(srv), ha, `SRV weight ${srv}`);
});

test('dns: the lowest priority serves, higher ones are backups; names are role-target-port; duplicates once', () => {
  const rec = (target: string, port: number, priority: number, weight: number): SrvAnswerRecord => ({ target, port, priority, weight, addr: `10.0.0.${port % 100}` });
  const members = toMembers([rec('b.lab', 8081, 20, 0), rec('a.lab', 8080, 10, 512), rec('c.lab', 8082, 10, 0), rec('a.lab', 8080, 30, 0)], 'web', '_http._tcp.web.lab');
  assert.deepEqual(members.map((m) => [m.name, m.addr, m.port, m.status, m.tags]), [
    ['web-a.lab-8080', '10.0.0.80', 8080, 'alive', { role: 'web', port: '8080', weight: '3', priority: '10', srv: '_http._tcp.web.lab' }],
    ['web-c.lab-8082', '10.0.0.82', 8082, 'alive', { role: 'web', port: '8082', weight: '1', priority: '10', srv: '_http._tcp.web.lab' }],
    ['web-b.lab-8081', '10.0.0.81', 8081, 'alive', { role: 'web', port: '8081', weight: '1', priority: '20', srv: '_http._tcp.web.lab', backup: 'true' }],
  ]);
  assert.deepEqual(toMembers([], 'web', 'x'), []);
});

test('dns: sources.dns in lbagent.yml, with file:line:col for mistakes', () => {
  const base = 'frontends: { www: { bind: 127.0.0.1:8080, default_backend: web } }\nbackends: { web: {} }\n';
  const ok = parseMainConfig('lbagent.yml', `${base}sources:\n  dns:\n    - { name: _http._tcp.web.lab., role: web, resolvers: [127.0.0.1:5353, "::1", 10.0.0.2], interval: 5s, hold_nx: 1m }\n`);
  assert.ok(ok.ok, ok.ok ? '' : ok.errors.map(formatConfigError).join('\n'));
  assert.deepEqual(ok.value.sources?.dns?.[0], { name: '_http._tcp.web.lab.', role: 'web', resolvers: ['127.0.0.1:5353', '[::1]:53', '10.0.0.2:53'], interval: 5000, hold_nx: 60_000 });
  const bad: Array<[string, RegExp]> = [
    ['    - { name: x, role: web, resolvers: [dns.example:53] }', /lbagent\.yml:5:\d+.*invalid resolver address 'dns\.example:53'/],
    ['    - { name: x, role: web, interval: 0s }', /lbagent\.yml:5:\d+.*at least 100ms/],
    ['    - { name: x }', /lbagent\.yml:5:\d+.*role/],
    ['    - { name: x, role: web, ttl: 5 }', /lbagent\.yml:5:\d+.*ttl/],
  ];
  for (const [line, re] of bad) {
    const r = parseMainConfig('lbagent.yml', `${base}sources:\n  dns:\n${line}\n`);
    assert.ok(!r.ok, line);
    assert.match(r.errors.map(formatConfigError).join('\n'), re);
  }
});
