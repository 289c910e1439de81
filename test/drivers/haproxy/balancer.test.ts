// `lbagent balancer` with `proxy: haproxy`: an app server's agent joins, and HAProxy (started by the test from the
// shipped example config) gets the server through its runtime API and sends it traffic; `lbagent event pause`
// drains it in HAProxy; `lbagent servers` shows HAProxy's view; HAProxy is never reloaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RuntimeApi } from '../../../src/drivers/haproxy/runtime-api.js';
import { parseServersState } from '../../../src/drivers/haproxy/state.js';
import { freePort } from '../../helpers/ports.js';
import { lbagentBin, repoRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { needTool } from '../../helpers/tools.js';
import { startBackend } from '../../proxy/fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);

function proc(t: import('node:test').TestContext, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  t.after(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  return p;
}

test('lbagent balancer drives a real HAProxy: join → traffic, pause → drain, servers shows HAProxy\'s pools, no reload', async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const app = await startBackend('web-1', (req, res) => res.end(req.url === '/health' ? 'ok' : 'web-1'));
  const fallback = await startBackend('static1', (_req, res) => res.end('static1'));
  t.after(() => Promise.all([app.close(), fallback.close()]));
  const dir = tempDir(t, 'lbagent-hap-balancer-');
  const [hapPort, gossip, admin, agentGossip, agentRpc] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const socket = join(dir, 'admin.sock');
  const hapCfg = join(dir, 'haproxy.cfg');
  writeFileSync(hapCfg, readFileSync(join(repoRoot, 'examples', 'haproxy', 'haproxy.cfg'), 'utf8'));
  const hapEnv = { LBAGENT_HAPROXY_SOCKET: socket, LBAGENT_HAPROXY_PORT: String(hapPort), LBAGENT_HAPROXY_STATIC_PORT: String(fallback.port) };
  proc(t, 'haproxy', ['-db', '-f', hapCfg], hapEnv);
  const api = new RuntimeApi(socket);
  await waitFor('haproxy up', async () => /Pid:/.test(await api.raw('show info').catch(() => '')));
  const pid = /^Pid: (\d+)/m.exec(await api.raw('show info'))![1];
  writeFileSync(join(dir, 'roles.yml'), `roles:\n  web:\n    lb: [app]\n    port: ${app.port}\n    check: { interval: 200ms, rise: 1, fall: 2 }\n`);
  writeFileSync(join(dir, 'lbagent.yml'), `
proxy: haproxy
haproxy: { socket: "${socket}", config: "${hapCfg}", resync: 2s, grace: 2s }
admin: { bind: "127.0.0.1:${admin}" }
roles: ./roles.yml
gossip: { node: lb-1, bind: "127.0.0.1:${gossip}", profile: local }
`);
  proc(t, process.execPath, [lbagentBin, 'balancer', '-c', join(dir, 'lbagent.yml')], { LBAGENT_LOG_FORMAT: 'json' });
  await waitFor('balancer admin API', async () => (await fetch(`http://127.0.0.1:${admin}/v1/backends`).then((r) => r.ok).catch(() => false)), { timeoutMs: 30_000 });
  proc(t, process.execPath, [lbagentBin, 'join', `127.0.0.1:${gossip}`, '--node', 'web-1', '--role', 'web', '--bind', `127.0.0.1:${agentGossip}`, '--rpc-addr', `127.0.0.1:${agentRpc}`, '--profile', 'local']);
  const state = async () => parseServersState(await api.raw('show servers state app'));
  await waitFor('web-1 added to HAProxy', async () => (await state()).some((s) => s.name === 'web-1' && s.port === app.port), { timeoutMs: 30_000 });
  await waitFor('HAProxy sends web-1 traffic', async () => {
    const bodies = await Promise.all(Array.from({ length: 6 }, () => fetch(`http://127.0.0.1:${hapPort}/`).then((r) => r.text())));
    return bodies.includes('web-1');
  });
  await run(process.execPath, [lbagentBin, 'event', 'pause', '--rpc-addr', `127.0.0.1:${agentRpc}`]);
  await waitFor('web-1 drained in HAProxy', async () => ((await state()).find((s) => s.name === 'web-1')?.adminState ?? 0) & 0x08, { timeoutMs: 30_000 });
  const { stdout } = await run(process.execPath, [lbagentBin, 'servers', '--admin', `127.0.0.1:${admin}`, '--format', 'json']);
  const pools = JSON.parse(stdout) as { name: string; servers: { name: string; status: string }[] }[];
  assert.equal(pools.find((b) => b.name === 'app')!.servers.find((s) => s.name === 'web-1')!.status, 'DRAIN');
  assert.equal(/^Pid: (\d+)/m.exec(await api.raw('show info'))![1], pid, 'HAProxy was never reloaded');
});
