// serf's SIGHUP: the agent reads its config files again and applies the event handlers, the tags and the log
// level in place; a file that no longer parses keeps what runs. Before, SIGHUP killed the agent without a leave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

test('SIGHUP reloads handlers and tags from the config file; a broken file changes nothing', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-hup-');
  const [gossip, rpc] = [await freePort(), await freePort()];
  const config = join(dir, 'agent.json');
  const out = (n: string) => join(dir, `${n}.out`);
  const write = (tags: Record<string, string>, handler: string) =>
    writeFileSync(config, JSON.stringify({ node_name: 'hup-1', bind: `127.0.0.1:${gossip}`, rpc_addr: `127.0.0.1:${rpc}`, tags, event_handlers: [`user:pong=echo $SERF_USER_EVENT >> ${handler}`] }));
  write({ role: 'web' }, out('first'));
  const proc = spawn(process.execPath, [lbagentBin, 'agent', '--config', config, '--profile', 'local'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (c) => (log += c));
  proc.stderr.on('data', (c) => (log += c));
  t.after(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  const members = async () => (await run(process.execPath, [lbagentBin, 'members', '--rpc-addr', `127.0.0.1:${rpc}`]).catch(() => ({ stdout: '' }))).stdout;
  const event = () => run(process.execPath, [lbagentBin, 'event', 'pong', '--rpc-addr', `127.0.0.1:${rpc}`]);
  await waitFor('agent up with role=web', async () => /role=web/.test(await members()), { timeoutMs: 30_000 });
  await event();
  await waitFor('first handler ran', () => existsSync(out('first')) && readFileSync(out('first'), 'utf8').includes('pong'), { timeoutMs: 30_000 });

  write({ role: 'api', dc: 'east' }, out('second'));
  proc.kill('SIGHUP');
  await waitFor('tags reloaded', async () => /dc=east,role=api|role=api,dc=east/.test(await members()), { timeoutMs: 30_000 });
  await event();
  await waitFor('the new handler runs', () => existsSync(out('second')) && readFileSync(out('second'), 'utf8').includes('pong'), { timeoutMs: 30_000 });
  assert.equal(readFileSync(out('first'), 'utf8').trim().split('\n').length, 1, 'the old handler no longer runs');

  writeFileSync(config, '{ "node_name": ');
  proc.kill('SIGHUP');
  await waitFor('the broken file is reported', () => /Failed to reload configs/.test(log), { timeoutMs: 30_000 });
  assert.equal(proc.exitCode, null, 'still running');
  assert.match(await members(), /role=api/);

  proc.kill('SIGINT');
  await waitFor('left and exited', () => proc.exitCode !== null, { timeoutMs: 30_000 });
  assert.equal(proc.exitCode, 0);
});
