import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { filterMatches, handlerEnv, handlerStdin, memberLine, parseHandlerSpec, runScript, ScriptEventHandlers, tagEnvName } from '../../src/agent/handlers.js';
import type { SerfEvent, SerfMember } from '../../src/gossip/serf/api.js';
import { silentLogger } from '../../src/log/logger.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';

const proto = { min: 1, max: 5, cur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 };
const member = (name: string, addr: string, tags: Record<string, string>): SerfMember => ({ name, addr, port: 7946, tags, status: 'alive', protocol: proto });

test('handler specs parse like serf: filters, names, no "=" means every event', () => {
  const a = parseHandlerSpec('member-join,user:deploy=./x.sh');
  assert.ok(!('error' in a));
  if ('error' in a) return;
  assert.equal(a.script, './x.sh');
  const join: SerfEvent = { type: 'member-join', members: [] };
  const deploy: SerfEvent = { type: 'user', name: 'deploy', payload: Buffer.alloc(0), ltime: 1, coalesce: true, replayed: false };
  const other: SerfEvent = { ...deploy, name: 'other' };
  assert.ok(filterMatches(a.filters, join));
  assert.ok(filterMatches(a.filters, deploy));
  assert.ok(!filterMatches(a.filters, other));
  const all = parseHandlerSpec('./all.sh');
  assert.ok(!('error' in all) && all.filters[0]!.event === '*');
  assert.ok('error' in parseHandlerSpec('member-explode=./x.sh'));
  assert.ok('error' in parseHandlerSpec('member-join:foo=./x.sh'));
});

test('environment and stdin follow serf: SERF_* vars, member lines, payload with newline', () => {
  assert.equal(tagEnvName('my-tag.x'), 'SERF_TAG_MY_TAG_X');
  const env = handlerEnv({ type: 'user', name: 'pause', payload: Buffer.from('web-1 10.0.0.1 web'), ltime: 7, coalesce: true, replayed: false }, { name: 'lb-1', tags: { role: 'lb', 'dc-x': 'lab' } });
  assert.deepEqual(env, { SERF_EVENT: 'user', SERF_SELF_NAME: 'lb-1', SERF_SELF_ROLE: 'lb', SERF_TAG_ROLE: 'lb', SERF_TAG_DC_X: 'lab', SERF_USER_EVENT: 'pause', SERF_USER_LTIME: '7' });
  assert.equal(handlerStdin({ type: 'user', name: 'p', payload: Buffer.from('x'), ltime: 1, coalesce: false, replayed: false }).toString(), 'x\n');
  assert.equal(memberLine(member('web\t1', '10.0.0.1', { role: 'web', dc: 'lab' })), 'web\\t1\t10.0.0.1\tweb\trole=web,dc=lab\n');
});

test('scripts run through the shell, one at a time, with env and stdin', async (t) => {
  const dir = tempDir(t, 'lbagent-handlers-');
  const out = join(dir, 'out.txt');
  const script = join(dir, 'h.sh');
  writeFileSync(script, `#!/bin/sh\n{ echo "event=$SERF_EVENT self=$SERF_SELF_NAME role=$SERF_SELF_ROLE user=$SERF_USER_EVENT"; cat; } >> "${out}"\n`);
  chmodSync(script, 0o755);
  const handlers = new ScriptEventHandlers(
    [parseHandlerSpec(`member-join,user:pause=${script}`) as never],
    () => ({ name: 'lb-1', tags: { role: 'lb' } }),
    silentLogger,
  );
  handlers.handle({ type: 'member-join', members: [member('web-1', '127.0.0.1', { role: 'web' })] });
  handlers.handle({ type: 'user', name: 'other', payload: Buffer.from('ignored'), ltime: 1, coalesce: true, replayed: false });
  handlers.handle({ type: 'user', name: 'pause', payload: Buffer.from('web-1 127.0.0.1 web'), ltime: 2, coalesce: true, replayed: false });
  await handlers.idle();
  await waitFor('handler output', () => existsSync(out));
  assert.equal(
    readFileSync(out, 'utf8'),
    'event=member-join self=lb-1 role=lb user=\nweb-1\t127.0.0.1\tweb\trole=web\nevent=user self=lb-1 role=lb user=pause\nweb-1 127.0.0.1 web\n',
  );
});

test('a query handler answers with its stdout; a failing script does not stop the next', async () => {
  const responses: string[] = [];
  const handlers = new ScriptEventHandlers([parseHandlerSpec('query:ping=exit 3') as never, parseHandlerSpec('query=echo pong-$SERF_QUERY_NAME') as never], () => ({ name: 'n', tags: {} }), silentLogger);
  handlers.handle({ type: 'query', name: 'ping', payload: Buffer.alloc(0), ltime: 1, id: 1, respond: async (p) => void responses.push(p.toString()) });
  await handlers.idle();
  assert.deepEqual(responses, ['pong-ping\n']);
  const r = await runScript('exit 4', {}, Buffer.alloc(0));
  assert.equal(r.code, 4);
});
