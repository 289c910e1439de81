import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { duration, endpoint, formatConfigError, oneOf, parseConfigText, parseDuration } from '../../src/config/index.js';

const schema = z.strictObject({
  timeout: z.strictObject({ connect: duration().optional(), client: duration().optional() }).optional(),
  bind: endpoint().optional(),
  mode: oneOf(['tcp', 'http']).optional(),
  servers: z.array(z.strictObject({ name: z.string(), weight: z.number().int().min(0).max(256) })).optional(),
});

test('durations take HAProxy units, bare number is ms', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1m'), 60000);
  assert.equal(parseDuration('1h'), 3600000);
  assert.equal(parseDuration('1d'), 86400000);
  assert.equal(parseDuration('250us'), 0.25);
  assert.equal(parseDuration(300), 300);
  assert.equal(parseDuration('300'), 300);
  assert.ok(typeof parseDuration('5 parsecs') !== 'number');
});

test('errors carry file:line:col, key, what is wrong and what was expected', () => {
  const text = ['timeout:', '  connect: 5x', 'mode: udp', 'servers:', '  - name: a', '    weight: 300', '    colour: red', ''].join('\n');
  const r = parseConfigText('lb.yml', text, schema);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map(formatConfigError);
  assert.ok(lines.some((l) => l.startsWith("lb.yml:2:12: 'timeout.connect' invalid duration '5x'") && l.includes('units us ms s m h d')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith("lb.yml:3:7: 'mode' invalid value \"udp\"") && l.includes('one of tcp, http')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith("lb.yml:6:13: 'servers[0].weight'")), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith("lb.yml:7:5: 'servers[0].colour' unknown key 'colour'")), lines.join('\n'));
});

test('YAML syntax errors are located', () => {
  const r = parseConfigText('x.yml', 'a: [1, 2\nb: 3\n', schema);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(formatConfigError(r.errors[0]!), /^x\.yml:\d+:\d+: YAML syntax error/);
});

test('${VAR} expands from the environment, with defaults; a missing one is an error', () => {
  const ok = parseConfigText('e.yml', 'bind: "${HOST}:${PORT:-8080}"\ntimeout:\n  connect: ${T}\n', schema, { env: { HOST: '127.0.0.1', T: '3s' } });
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.deepEqual(ok.value.bind, { host: '127.0.0.1', port: 8080 });
    assert.equal(ok.value.timeout?.connect, 3000);
  }
  const bad = parseConfigText('e.yml', 'bind: ${NOPE}\n', schema, { env: {} });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(formatConfigError(bad.errors[0]!), /^e\.yml:1:7: .*\$\{NOPE\} is not set/);
});

test('endpoints accept IPv4, IPv6 and *', () => {
  const r = parseConfigText('b.yml', 'bind: "[::1]:80"\n', schema);
  assert.ok(r.ok && r.value.bind?.host === '::1');
  const s = parseConfigText('b.yml', 'bind: "*:81"\n', schema);
  assert.ok(s.ok && s.value.bind?.host === '0.0.0.0' && s.value.bind.port === 81);
});
