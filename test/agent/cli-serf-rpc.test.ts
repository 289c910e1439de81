// The lbagent CLI against Debian's serf agent (serf 0.9.x RPC, not an lbagent agent): members, join, event
// (with a payload, and pause's "NODE IP ROLE" default), tags, query, monitor, force-leave and leave speak serf's msgpack RPC
// once HTTP gets no answer; serf's rpc_auth is given with --rpc-auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serfMembers, startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';

const run = promisify(execFile);
const env: NodeJS.ProcessEnv = { ...process.env, LBAGENT_RPC_ADDR: '', SERF_RPC_ADDR: '' };
delete env.LBAGENT_RPC_AUTH;
delete env.SERF_RPC_AUTH;

/** `lbagent ARGS`: stdout, or the exit code and stderr when it failed. */
async function lbagent(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [lbagentBin, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await lbagent(...args);
  assert.equal(r.code, 0, `lbagent ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('the lbagent CLI drives a real serf agent through its msgpack RPC', { timeout: 180_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const dir = tempDir(t, 'lbagent-cli-serf-');
  const events = join(dir, 'events.txt');
  // s2 records the user events it receives (name and payload), and answers queries.
  const handler = join(dir, 'handler.sh');
  writeFileSync(handler, `#!/bin/sh\nif [ "$SERF_EVENT" = user ]; then echo "$SERF_USER_EVENT $(cat)" >> ${events}; fi\nif [ "$SERF_EVENT" = query ]; then echo "pong-$SERF_SELF_NAME"; fi\n`, { mode: 0o755 });

  const s1 = await startSerfAgent(t, 's1', ['-tag', 'role=web', '-profile=local']);
  const s2 = await startSerfAgent(t, 's2', ['-tag', 'role=api', '-profile=local', `-event-handler=${handler}`]);
  const a1 = `--rpc-addr=127.0.0.1:${s1.rpc}`;
  const a2 = `--rpc-addr=127.0.0.1:${s2.rpc}`;

  // members, then join through s1's RPC
  assert.match(await ok('members', a1), /^s1\s+127\.0\.0\.1:\d+\s+alive\s+role=web\n$/);
  assert.match(await ok('join', a1, `127.0.0.1:${s2.bind}`), /Successfully joined cluster by contacting 1 nodes/);
  await waitFor('s1 sees s2', async () => /s2\s+127\.0\.0\.1:\d+\s+alive\s+role=api/.test(await ok('members', a1)), { timeoutMs: 30_000 });
  const json = JSON.parse(await ok('members', a1, '--format', 'json', '--status', 'alive', '--tag', 'role=api')) as Array<{ name: string; addr: string; port: number; tags: Record<string, string> }>;
  assert.deepEqual(json.map((m) => [m.name, m.addr, m.port, m.tags.role]), [['s2', '127.0.0.1', s2.bind, 'api']]);

  // event: a payload as given; pause with none sends s1's own "NODE IP ROLE"
  assert.match(await ok('event', a1, 'deploy', 'v42'), /Event 'deploy' dispatched! Payload: "v42"/);
  assert.match(await ok('event', a1, 'pause'), /Payload: "s1 127\.0\.0\.1 web"/);
  await waitFor('s2 ran its handler for both events', () => {
    const seen = existsSync(events) ? readFileSync(events, 'utf8') : '';
    return seen.includes('deploy v42') && seen.includes('pause s1 127.0.0.1 web');
  }, { timeoutMs: 30_000 });

  // tags: set and delete, seen by serf's own CLI
  assert.match(await ok('tags', a1, '--set', 'dc=east', '--delete', 'role'), /Successfully updated agent tags/);
  await waitFor('s1 tags changed', async () => /^s1\s.*\salive\s+dc=east$/m.test(await serfMembers(s2.rpc)), { timeoutMs: 30_000 });

  // query: s2's handler answers (a generous timeout: the handler is a shell spawned on a busy machine)
  const q = await ok('query', a1, 'ping', 'x', '--timeout', '20s');
  assert.match(q, /Query 'ping' dispatched/);
  assert.match(q, /Ack from 's2'/);
  assert.match(q, /Response from 's2': pong-s2/);
  assert.match(q, /Total Responses: 1/);

  // monitor: serf's log lines stream until the monitor is stopped
  const mon = spawn(process.execPath, [lbagentBin, 'monitor', a1, '--log-level', 'debug'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void mon.kill('SIGKILL'));
  let monOut = '';
  mon.stdout.on('data', (c) => (monOut += c));
  await waitFor('monitor shows serf log lines', () => /\[(INFO|DEBUG)\] (agent|serf|memberlist)/.test(monOut), { timeoutMs: 30_000 });
  await ok('event', a1, 'seen-by-monitor');
  await waitFor('monitor shows the new event', () => monOut.includes('seen-by-monitor'), { timeoutMs: 30_000 });

  // force-leave: a killed member, failed, becomes left
  const s3 = await startSerfAgent(t, 's3', ['-profile=local', `-join=127.0.0.1:${s1.bind}`]);
  await waitFor('s1 sees s3', async () => /^s3\s.*\salive\b/m.test(await ok('members', a1)), { timeoutMs: 30_000 });
  s3.proc.kill('SIGKILL');
  await waitFor('s3 failed', async () => /^s3\s.*\sfailed\b/m.test(await ok('members', a1)), { timeoutMs: 60_000 });
  await ok('force-leave', a1, 's3');
  await waitFor('s3 left after force-leave', async () => /^s3\s.*\sleft\b/m.test(await ok('members', a1)), { timeoutMs: 30_000 });

  // leave: s1 leaves and exits; s2 sees it left
  assert.match(await ok('leave', a1), /Graceful leave complete/);
  await waitFor('s1 exited', () => s1.proc.exitCode !== null, { timeoutMs: 30_000 });
  await waitFor('monitor ended with the agent', () => mon.exitCode !== null, { timeoutMs: 30_000 });
  assert.match(monOut, /Remote side ended the monitor/);
  await waitFor('s2 sees s1 left', async () => /^s1\s.*\sleft\b/m.test(await ok('members', a2)), { timeoutMs: 30_000 });
});

test('--rpc-auth is serf\'s rpc_auth: refused without it or with a wrong one, served with it', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const dir = tempDir(t, 'lbagent-cli-serf-auth-');
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ rpc_auth: 'sekrit' }));
  // the helper's readiness probe (`serf members` without a key) fails against an auth-protected RPC: start it by hand
  const { freePort } = await import('../helpers/ports.js');
  const { requireTool } = await import('../helpers/tools.js');
  const [bind, rpc] = [await freePort(), await freePort()];
  const serf = spawn(requireTool('serf'), ['agent', '-node=sa', `-bind=127.0.0.1:${bind}`, `-rpc-addr=127.0.0.1:${rpc}`, `-config-file=${authFile}`, '-tag', 'role=web'], { stdio: 'ignore' });
  t.after(() => void serf.kill('SIGKILL'));
  const a = `--rpc-addr=127.0.0.1:${rpc}`;
  await waitFor('serf with rpc_auth serves lbagent members --rpc-auth', async () => /^sa\s/.test(await ok('members', a, '--rpc-auth', 'sekrit')), { timeoutMs: 30_000 });
  const none = await lbagent('members', a);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Authentication required \[LBA_ERR_API_UNAUTHORIZED\]/);
  const wrong = await lbagent('tags', a, '--set', 'x=y', '--rpc-auth', 'nope');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /Invalid authentication token/);
  // the key from the environment, as serf's SERF_RPC_AUTH
  const r = await run(process.execPath, [lbagentBin, 'tags', a, '--set', 'dc=west'], { env: { ...env, SERF_RPC_AUTH: 'sekrit' } });
  assert.match(r.stdout, /Successfully updated agent tags/);
  assert.match(await ok('members', a, '--rpc-auth', 'sekrit'), /dc=west/);
});
