import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigError } from '../../src/config/index.js';
import { parseHostPort, resolveAgentOptions } from '../../src/agent/options.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir(after, 'lbagent-agent-opts-');

test('host:port parsing follows serf: default port, IPv6 in brackets', () => {
  assert.deepEqual(parseHostPort('10.0.0.5', 7946), { host: '10.0.0.5', port: 7946 });
  assert.deepEqual(parseHostPort('10.0.0.5:8000', 7946), { host: '10.0.0.5', port: 8000 });
  assert.deepEqual(parseHostPort('[::1]:8000', 7946), { host: '::1', port: 8000 });
  assert.deepEqual(parseHostPort(':9000', 7946), { host: '0.0.0.0', port: 9000 });
  assert.equal(parseHostPort('host:notaport', 7946), undefined);
});

test("serf's JSON agent config is read, and flags win over it", async () => {
  const file = join(dir, 'serf.json');
  writeFileSync(file, JSON.stringify({ node_name: 'web-1', tags: { role: 'web', dc: 'lab' }, bind: '127.0.0.1:8946', start_join: ['10.0.0.1'], event_handlers: ['member-join=./j.sh'], log_level: 'DEBUG', enable_syslog: true }, null, 2));
  const r = await resolveAgentOptions({ config: [file], tag: ['dc=prod'], role: 'api' });
  assert.ok(r.ok, !r.ok ? r.errors.map(formatConfigError).join('\n') : '');
  if (!r.ok) return;
  assert.equal(r.value.nodeName, 'web-1');
  assert.deepEqual(r.value.bind, { host: '127.0.0.1', port: 8946 });
  assert.deepEqual(r.value.tags, { role: 'api', dc: 'prod' });
  assert.deepEqual(r.value.startJoin, ['10.0.0.1']);
  assert.deepEqual(r.value.eventHandlers, ['member-join=./j.sh']);
  assert.equal(r.value.logLevel, 'debug');
  assert.deepEqual(r.ignored, [`${file}: enable_syslog`]);
});

test('YAML agent config errors carry file:line:col', async () => {
  const file = join(dir, 'agent.yml');
  writeFileSync(file, 'node_name: a\nbind: "1.2.3.4:99999"\nprofile: moon\n');
  const r = await resolveAgentOptions({ config: [file] });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map(formatConfigError);
  assert.ok(lines.some((l) => l.startsWith(`${file}:2:7: 'bind' invalid address`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith(`${file}:3:10: 'profile'`) && l.includes('one of lan, wan, local')), lines.join('\n'));
});

test('bad flags are reported: tag without =, key of the wrong size, non-loopback RPC', async () => {
  const r = await resolveAgentOptions({ tag: ['novalue'], encrypt: Buffer.alloc(10).toString('base64'), 'rpc-addr': '10.1.1.1:7373' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const text = r.errors.map(formatConfigError).join('\n');
  assert.match(text, /--tag' invalid tag 'novalue'/);
  assert.match(text, /--encrypt' key must be 16, 24 or 32 bytes/);
  assert.match(text, /--rpc-addr' RPC address 10\.1\.1\.1 is not loopback/);
});

test('issue 14: our own node is held to the limits peers apply: name of 1..128 bytes without control characters, tags within 512 bytes', async () => {
  const long = await resolveAgentOptions({ node: 'n'.repeat(129) });
  assert.equal(long.ok, false);
  if (long.ok) return;
  assert.match(long.errors.map(formatConfigError).join('\n'), /--node' Node name is 129 characters\. Valid length is between 1 and 128 characters/);
  const ctl = await resolveAgentOptions({ node: 'web\n1' });
  assert.equal(ctl.ok, false);
  const tags = await resolveAgentOptions({ node: 'ok', tag: ['big=' + 'x'.repeat(600)] });
  assert.equal(tags.ok, false);
  if (tags.ok) return;
  assert.match(tags.errors.map(formatConfigError).join('\n'), /Encoded length of tags exceeds limit of 512 bytes/);
  assert.equal((await resolveAgentOptions({ node: 'é'.repeat(64) })).ok, true, '128 bytes of UTF-8 pass');
});

test('LBAGENT_LOG_LEVEL sets the default log level; --log-level wins', async () => {
  const before = process.env.LBAGENT_LOG_LEVEL;
  process.env.LBAGENT_LOG_LEVEL = 'WARN';
  try {
    const fromEnv = await resolveAgentOptions({});
    assert.ok(fromEnv.ok);
    assert.equal(fromEnv.value.logLevel, 'warn');
    const fromFlag = await resolveAgentOptions({ 'log-level': 'debug' });
    assert.ok(fromFlag.ok);
    assert.equal(fromFlag.value.logLevel, 'debug');
  } finally {
    if (before === undefined) delete process.env.LBAGENT_LOG_LEVEL;
    else process.env.LBAGENT_LOG_LEVEL = before;
  }
});
