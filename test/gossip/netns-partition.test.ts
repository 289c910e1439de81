// A network partition between two network namespaces heals by itself: lbagent agents on both sides see each
// other failed during the partition, alive again after it, and a user event sent during the partition reaches
// the other side afterwards. Hosts from test/helpers/netns.ts (root needed; skipped with the reason otherwise).
import { test } from 'node:test';
import { needNetns } from '../helpers/tools.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host } from '../helpers/netns.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';

test('a partition between two network namespaces heals; events sent during it arrive after', { timeout: 180_000 }, async (t) => {
  if (!needNetns(t)) return;
  const [hostA, hostB] = buildHosts(t, ['pa', 'pb']).hosts as [Host, Host];
  const ipA = hostA.ip;
  const dir = tempDir(t, 'lbagent-partition-');
  const agents: { name: string; host: Host; rpc: number }[] = [];
  // two agents per host (ports 7946 and 7947); the first on A is the seed the others retry until it answers
  const start = (name: string, host: Host, port: number, joinAddr?: string) => {
    const rpc = 17373 + agents.length;
    host.spawn(process.execPath, [lbagentBin, 'agent', '--node', name, '--bind', `${host.ip}:${port}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', '--event-handler', `user:deploy=cat >> ${join(dir, `${name}.txt`)}`, ...(joinAddr ? ['--retry-join', joinAddr] : [])]);
    agents.push({ name, host, rpc });
  };
  start('a1', hostA, 7946);
  start('a2', hostA, 7947, `${ipA}:7946`);
  start('b1', hostB, 7946, `${ipA}:7946`);
  start('b2', hostB, 7947, `${ipA}:7946`);
  const members = async (a: { host: Host; rpc: number }) => {
    const { stdout } = await a.host.run(process.execPath, [lbagentBin, 'members', '--rpc-addr', `127.0.0.1:${a.rpc}`, '--format', 'json']);
    return Object.fromEntries((JSON.parse(stdout) as { name: string; status: string }[]).map((m) => [m.name, m.status]));
  };
  const sees = async (a: (typeof agents)[number], want: Record<string, string>) => {
    const m = await members(a).catch(() => ({}) as Record<string, string>);
    return Object.entries(want).every(([n, s]) => m[n] === s);
  };
  const allAlive = { a1: 'alive', a2: 'alive', b1: 'alive', b2: 'alive' };
  await waitFor('one cluster of 4', async () => (await Promise.all(agents.map((a) => sees(a, allAlive)))).every(Boolean), { timeoutMs: 60_000 });

  hostA.cut();
  await waitFor('each side sees the other failed', async () =>
    (await sees(agents[0]!, { a2: 'alive', b1: 'failed', b2: 'failed' })) && (await sees(agents[2]!, { b2: 'alive', a1: 'failed', a2: 'failed' })),
    { timeoutMs: 60_000 });
  await hostA.run(process.execPath, [lbagentBin, 'event', 'deploy', 'v1', '--rpc-addr', `127.0.0.1:${agents[0]!.rpc}`]);
  await waitFor('side A got the event', () => existsSync(join(dir, 'a2.txt')));

  hostA.heal();
  await waitFor('healed: everyone alive again everywhere', async () => (await Promise.all(agents.map((a) => sees(a, allAlive)))).every(Boolean), { timeoutMs: 90_000 });
  await waitFor('the event sent during the partition reached side B', () => ['b1', 'b2'].every((n) => existsSync(join(dir, `${n}.txt`)) && readFileSync(join(dir, `${n}.txt`), 'utf8').includes('v1')), { timeoutMs: 60_000 });
  assert.ok(readFileSync(join(dir, 'a1.txt'), 'utf8').includes('v1'));
});
