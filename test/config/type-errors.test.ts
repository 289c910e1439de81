// A value of the wrong type is reported as such, with what the key takes, at its file:line:col: through
// `lbagent check`, as a user meets it (never "is required but missing" for a key that is there, nor "Invalid input").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigError, parseConfigText } from '../../src/config/index.js';
import { mainSchema } from '../../src/main-config/main.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const FILE = [
  'global: { maxconn: lots }', // 1
  'frontends:',
  '  f0: { bind: 127.0.0.1:0, default_backend: b0 }',
  '  f1: { bind: 80, default_backend: b0 }', // 4
  'backends:',
  '  b0:',
  '    servers:',
  '      - { name: s1, addr: 127.0.0.1:9000, rise: two }', // 8
  '      - { name: s2, addr: 127.0.0.1:9001, weight: ten }', // 9
  '      - { name: s3, addr: 127.0.0.1:9002, maxconn: lots }', // 10
  'gossip:',
  '  join: host', // 12
  '',
].join('\n');

const EXPECTED = [
  "t.yml:1:20: 'global.maxconn' wrong type: a string (\"lots\") (expected an integer, 1 or more)",
  "t.yml:4:15: 'frontends.f1.bind' wrong type: a number (80) (expected addr:port, e.g. 127.0.0.1:8080, [::1]:8080 or *:8080, or a list of them)",
  "t.yml:8:49: 'backends.b0.servers[0].rise' wrong type: a string (\"two\") (expected an integer, 1 or more)",
  "t.yml:9:51: 'backends.b0.servers[1].weight' wrong type: a string (\"ten\") (expected an integer from 0 to 256)",
  "t.yml:10:52: 'backends.b0.servers[2].maxconn' wrong type: a string (\"lots\") (expected an integer, 0 or more)",
  "t.yml:12:9: 'gossip.join' wrong type: a string (\"host\") (expected a list of host[:port], e.g. [10.0.0.11, web-1:7946])",
];

test('lbagent check: each value of the wrong type named with the type expected, at its position', (t) => {
  const dir = tempDir(t, 'lbagent-types-');
  const file = join(dir, 't.yml');
  writeFileSync(file, FILE);
  const r = spawnSync(process.execPath, [lbagentBin, 'check', '-c', file], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('[ALERT] ') && !l.includes('Fatal errors')).map((l) => l.slice('[ALERT] '.length).replace(`${dir}/`, ''));
  assert.deepEqual([...lines].sort(), [...EXPECTED].sort());
  assert.doesNotMatch(r.stderr, /required but missing|Invalid input/);
});

test('missing stays missing; wrong values of the right type, enums, unions and ranges say what was given', () => {
  const r = parseConfigText('m.yml', [
    'proxy: nginx',
    'global: { workers: many, spread_checks: 99 }',
    'backends:',
    '  b: { servers: [{ addr: 127.0.0.1:1, backup: yes }] }',
    'gossip: { snapshot: 5 }',
    '',
  ].join('\n'), mainSchema);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map(formatConfigError).sort();
  assert.deepEqual(lines, [
    "m.yml:1:8: 'proxy' invalid value: a string (\"nginx\") (expected one of builtin, haproxy)",
    "m.yml:2:20: 'global.workers' invalid value: a string (\"many\") (expected an integer from 1 to 64 or \"auto\")",
    "m.yml:2:41: 'global.spread_checks' 99 is out of range (expected an integer from 0 to 50)",
    "m.yml:4:18: 'backends.b.servers[0].name' is required but missing (expected a string)",
    "m.yml:4:47: 'backends.b.servers[0].backup' wrong type: a string (\"yes\") (expected true or false)",
    "m.yml:5:21: 'gossip.snapshot' wrong type: a number (5) (expected a string or false)",
  ].sort());
});
