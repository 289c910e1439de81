import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lbagentBin } from './helpers/paths.js';

const run = promisify(execFile);

test('lbagent --help lists every command', async () => {
  const { stdout } = await run(process.execPath, [lbagentBin, '--help']);
  for (const cmd of ['balancer', 'check', 'demo', 'agent', 'join', 'leave', 'force-leave', 'members', 'event', 'tags', 'keygen', 'keys', 'servers']) {
    assert.match(stdout, new RegExp(`^    ${cmd} `, 'm'), `help lists ${cmd}`);
  }
});

test('a command that finds no agent or balancer says which address it tried, where that came from, and how to point elsewhere', async () => {
  const { freePort } = await import('./helpers/ports.js');
  const port = await freePort();
  const fails = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [lbagentBin, ...args], { env: { ...process.env, LBAGENT_RPC_ADDR: '', SERF_RPC_ADDR: '', LBAGENT_ADMIN: '', ...env } }).then(
      () => assert.fail(`${args.join(' ')} should fail`),
      (e: { code: number; stderr: string }) => (assert.equal(e.code, 1), e.stderr),
    );
  const [members, event, servers, badPort, noName] = await Promise.all([
    fails(['members'], { LBAGENT_RPC_ADDR: `127.0.0.1:${port}` }),
    fails(['event', 'pause', '--rpc-addr', `127.0.0.1:${port}`]),
    fails(['servers', '--admin', `127.0.0.1:${port}`]),
    fails(['leave', '--rpc-addr', '127.0.0.1:99999']),
    fails(['members', '--rpc-addr', 'no-such-host.invalid:7373']),
  ]);
  assert.match(members, new RegExp(`at 127\\.0\\.0\\.1:${port} \\(\\$LBAGENT_RPC_ADDR\\): connection refused.*--rpc-addr HOST:PORT or LBAGENT_RPC_ADDR \\[LBA_ERR_NO_AGENT\\]`));
  assert.match(event, new RegExp(`at 127\\.0\\.0\\.1:${port} \\(--rpc-addr\\): connection refused`));
  assert.match(servers, new RegExp(`from http://127\\.0\\.0\\.1:${port} \\(--admin\\): connection refused: no balancer is running there.*--admin URL or LBAGENT_ADMIN \\[LBA_ERR_NO_AGENT\\]`));
  assert.doesNotMatch(servers, /fetch failed/);
  assert.match(badPort, /--rpc-addr: invalid address '127\.0\.0\.1:99999': port 99999 is out of range/);
  assert.match(noName, /the name 'no-such-host\.invalid' does not resolve/);
});
