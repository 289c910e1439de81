// An RPC open to the network needs an auth key: --rpc-allow-remote without --rpc-auth refuses to start with a
// coded error, unless the operator also says --rpc-allow-unauthenticated.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveAgentOptions } from '../../src/agent/options.js';
import { formatConfigError } from '../../src/config/index.js';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const dir = tempDir(after, 'lbagent-rpc-remote-');

test('options: remote RPC without a key is refused (LBA_ERR_RPC_REMOTE_NO_AUTH); a key, from a flag or the config file, or the explicit override lets it start', async () => {
  const refused = await resolveAgentOptions({ 'rpc-addr': '0.0.0.0:7373', 'rpc-allow-remote': true });
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.match(refused.errors.map(formatConfigError).join('\n'), /'--rpc-allow-remote' remote RPC without --rpc-auth.*\[LBA_ERR_RPC_REMOTE_NO_AUTH\]/);
  assert.ok((await resolveAgentOptions({ 'rpc-addr': '0.0.0.0:7373', 'rpc-allow-remote': true, 'rpc-auth': 'k' })).ok);
  const file = join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify({ rpc_auth: 'from-file' }));
  assert.ok((await resolveAgentOptions({ config: [file], 'rpc-addr': '0.0.0.0:7373', 'rpc-allow-remote': true })).ok, 'rpc_auth in the config file counts');
  const insecure = await resolveAgentOptions({ 'rpc-addr': '0.0.0.0:7373', 'rpc-allow-remote': true, 'rpc-allow-unauthenticated': true });
  assert.ok(insecure.ok);
  if (insecure.ok) assert.equal(insecure.value.rpcAuth, undefined);
});

test('lbagent agent --rpc-allow-remote without --rpc-auth exits 1 with the coded error; with --rpc-allow-unauthenticated it serves', { timeout: 60_000 }, async (t) => {
  const [gossip, rpc] = [await freePort(), await freePort()];
  const args = ['agent', '--node', 'remote-rpc', '--bind', `127.0.0.1:${gossip}`, '--rpc-addr', `0.0.0.0:${rpc}`, '--rpc-allow-remote', '--profile', 'local'];
  const start = (extra: string[]) => {
    const proc = spawn(process.execPath, [lbagentBin, ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    t.after(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    return { proc, exit, out: () => out };
  };
  const refused = start([]);
  await waitFor('agent refuses to start', () => refused.proc.exitCode !== null, { timeoutMs: 30_000 });
  assert.equal(refused.proc.exitCode, 1);
  assert.match(refused.out(), /LBA_ERR_RPC_REMOTE_NO_AUTH/);
  assert.match(refused.out(), /--rpc-allow-unauthenticated/, 'the error names the override');

  const insecure = start(['--rpc-allow-unauthenticated']);
  await waitFor('agent RPC up without a key', async () => {
    if (insecure.proc.exitCode !== null) throw new GiveUp(`agent exited: ${insecure.out()}`);
    return (await fetch(`http://127.0.0.1:${rpc}/v1/info`)).status === 200;
  }, { timeoutMs: 30_000 });
  insecure.proc.kill('SIGTERM');
  await insecure.exit;
});
