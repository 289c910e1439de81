// The controller on real gossip: our Serf nodes and a real `serf agent` (0.9.4) feed a real BuiltinProxy
// through GossipMemberSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createSerf, type Serf } from '../../src/gossip/index.js';
import { Controller } from '../../src/controller/controller.js';
import { GossipMemberSource } from '../../src/controller/gossip-source.js';
import { parseRoles } from '../../src/controller/roles.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { waitFor } from '../helpers/wait.js';
import { needTool } from '../helpers/tools.js';
import { startBackend, startProxy } from '../proxy/fixtures.js';

const run = promisify(execFile);

async function node(name: string, tags: Record<string, string>): Promise<Serf> {
  return createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: await freePort(), tags, profile: 'local', reapIntervalMs: 1000 });
}

test('controller on gossip: our nodes and a real serf agent join, pause, change role and leave', { timeout: 90_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const app = await startBackend('app');
  const proxy = await startProxy('backends:\n  web: {}\n  api: {}\n');
  const lb = await node('lb-1', { role: 'lb' });
  const web1 = await node('web-1', { role: 'web', port: String(app.port) });
  const roles = parseRoles('roles.yml', 'roles:\n  web: { lb: [web], check: { enabled: false } }\n  api: { lb: [api], check: { enabled: false } }\n');
  assert.ok(roles.ok);
  const ctl = new Controller(new GossipMemberSource(lb), proxy.proxy, roles.value, silentLogger, { resyncMs: 0, leaveGraceMs: 500, failedGraceMs: 500 });
  t.after(async () => {
    await ctl.stop();
    for (const n of [web1, lb]) await n.shutdown().catch(() => undefined);
    await proxy.stop();
    await app.close();
  });
  await ctl.start();
  const lbAddr = `127.0.0.1:${lb.localMember().port}`;
  await web1.join([lbAddr]);
  const pools = async () => Object.fromEntries((await proxy.proxy.snapshot()).map((b) => [b.name, b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}`).sort().join()]));
  await waitFor('web-1 in web', async () => (await pools()).web === 'web-1:ready', { timeoutMs: 30_000 });

  const { rpc: rpcPort, proc: goSerf } = await startSerfAgent(t, 'go-1', ['-tag', 'role=web', '-tag', `port=${app.port}`, '-profile=local']);
  await run('serf', ['join', `-rpc-addr=127.0.0.1:${rpcPort}`, lbAddr]);
  await waitFor('go-1 in web', async () => (await pools()).web === 'go-1:ready,web-1:ready', { timeoutMs: 30_000 });

  // serf's own pause payload, sent by the Go agent
  await run('serf', ['event', `-rpc-addr=127.0.0.1:${rpcPort}`, 'pause', 'go-1 127.0.0.1 web']);
  await waitFor('go-1 drained', async () => (await pools()).web === 'go-1:drain,web-1:ready', { timeoutMs: 30_000 });
  await web1.userEvent('resume', Buffer.from('go-1'), false);
  await waitFor('go-1 resumed', async () => (await pools()).web === 'go-1:ready,web-1:ready', { timeoutMs: 30_000 });

  await web1.setTags({ role: 'api', port: String(app.port) });
  await waitFor('web-1 moved to api', async () => {
    const p = await pools();
    return p.web === 'go-1:ready' && p.api === 'web-1:ready';
  }, { timeoutMs: 30_000 });

  await web1.leave();
  await waitFor('web-1 removed after leaving', async () => (await pools()).api === '', { timeoutMs: 30_000 });

  goSerf.kill('SIGKILL');
  await waitFor('go-1 failed and removed', async () => (await pools()).web === '', { timeoutMs: 60_000 });
});
