// The balancer keeps the LB host's serf habits without a second agent: its gossip.event_handlers and
// --event-handler scripts run as `serf agent` runs them (SERF_* environment, member lines on stdin), and its own RPC
// address answers Debian's `serf members`, `serf event`, `serf monitor`, `serf leave` and lbagent's CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool, requireTool } from '../helpers/tools.js';
import { startBackend } from '../proxy/fixtures.js';

const run = promisify(execFile);
const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

test('a balancer runs serf event handlers and answers serf\'s RPC on its own address', { timeout: 180_000 }, async (t) => {
  if (!needTool(t, 'serf')) return;
  const serf = requireTool('serf');
  const dir = tempDir(t, 'lbagent-lb-serf-');
  const app = await startBackend('a1');
  t.after(() => app.close());
  const web = await startSerfAgent(t, 'web-1', ['-tag', 'role=web', '-tag', `port=${app.port}`, '-profile=local']);

  // From the config: every member event, its environment and stdin. From the flag: user events named deploy.
  const memberLog = join(dir, 'members.txt');
  const deployLog = join(dir, 'deploy.txt');
  const onMember = join(dir, 'on-member.sh');
  writeFileSync(onMember, `#!/bin/sh\n{ echo "event=$SERF_EVENT self=$SERF_SELF_NAME role=$SERF_SELF_ROLE dc=$SERF_TAG_DC"; cat; } >> ${memberLog}\n`, { mode: 0o755 });
  const onDeploy = join(dir, 'on-deploy.sh');
  writeFileSync(onDeploy, `#!/bin/sh\necho "$SERF_EVENT $SERF_USER_EVENT $(cat)" >> ${deployLog}\n`, { mode: 0o755 });

  const [fe, admin, gossip, rpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web: { lb: [web], check: { enabled: false } }\n');
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    'backends: { web: {} }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'global: { shutdown_delay: 200ms }',
    'roles: ./roles.yml',
    'gossip:',
    '  node: lb-1',
    `  bind: 127.0.0.1:${gossip}`,
    `  join: [127.0.0.1:${web.bind}]`,
    '  profile: local',
    '  tags: { dc: east }',
    `  rpc_addr: 127.0.0.1:${rpc}`,
    `  event_handlers: ["member-join,member-leave,member-update=${onMember}"]`,
    '',
  ].join('\n'));
  let out = '';
  const lb: ChildProcess = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file, '-event-handler', `user:deploy=${onDeploy}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' } });
  lb.stdout!.on('data', (c) => (out += c));
  lb.stderr!.on('data', (c) => (out += c));
  t.after(() => void (lb.exitCode === null && lb.signalCode === null && lb.kill('SIGKILL')));
  const ra = `-rpc-addr=127.0.0.1:${rpc}`;

  // serf's own CLI on the balancer's RPC
  const members = await waitFor('serf members on the balancer lists both nodes', async () => {
    const { stdout } = await run(serf, ['members', ra]);
    return /lb-1\s+127\.0\.0\.1:\d+\s+alive\s+dc=east,role=lb/.test(stdout) && /web-1\s+127\.0\.0\.1:\d+\s+alive\s+port=\d+,role=web/.test(stdout) && stdout;
  }, { timeoutMs: 60_000 });
  assert.ok(members);

  // the member handler ran with serf's environment and one line per member on stdin: NAME ADDR ROLE TAGS
  await waitFor('member-join handler ran for web-1', () => /web-1\t127\.0\.0\.1\tweb\t/.test(read(memberLog)), { timeoutMs: 30_000 });
  assert.match(read(memberLog), /^event=member-join self=lb-1 role=lb dc=east$/m);
  assert.match(read(memberLog), new RegExp(`^web-1\\t127\\.0\\.0\\.1\\tweb\\t(port=${app.port},role=web|role=web,port=${app.port})$`, 'm'));

  // serf monitor streams the balancer's log; serf event reaches the flag's handler through gossip
  const mon = spawn(serf, ['monitor', ra, '-log-level=info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void mon.kill('SIGKILL'));
  let monOut = '';
  mon.stdout!.on('data', (c) => (monOut += c));
  await waitFor('serf monitor shows the balancer\'s log', () => /\[INFO\] /.test(monOut), { timeoutMs: 30_000 });
  await fetch(`http://127.0.0.1:${fe}/`).then((r) => r.text());
  await waitFor('the request is in the access log', () => out.includes('"access":true'), { timeoutMs: 30_000 });
  await run(serf, ['event', ra, 'deploy', 'v7']);
  await waitFor('deploy handler ran', () => read(deployLog).includes('user deploy v7'), { timeoutMs: 30_000 });
  await waitFor('serf monitor shows the event', () => monOut.includes('deploy'), { timeoutMs: 30_000 });
  assert.doesNotMatch(monOut, /GET \/ HTTP\/1\.1/, 'the access log stays out of the monitor');

  // lbagent's CLI on the same address (HTTP RPC): members, and a pause sent through gossip drains web-1
  const lbMembers = await run(process.execPath, [lbagentBin, 'members', `--rpc-addr=127.0.0.1:${rpc}`, '--format', 'json']);
  assert.deepEqual((JSON.parse(lbMembers.stdout) as Array<{ name: string }>).map((m) => m.name).sort(), ['lb-1', 'web-1']);
  const pool = async () => {
    const b = (await (await fetch(`http://127.0.0.1:${admin}/v1/backends/web`)).json()) as { servers: Array<{ name: string; admin: string }> };
    return b.servers.map((s) => `${s.name}:${s.admin}`).join();
  };
  await waitFor('web-1 in the pool', async () => (await pool()) === 'web-1:ready', { timeoutMs: 30_000 });
  await run(process.execPath, [lbagentBin, 'event', `--rpc-addr=127.0.0.1:${rpc}`, 'pause', 'web-1 127.0.0.1 web']);
  await waitFor('web-1 drained by the pause sent to the balancer', async () => (await pool()) === 'web-1:drain', { timeoutMs: 30_000 });

  // serf leave on the balancer's RPC: its stop sequence; web-1 sees it leave, the member handler saw nothing wrong
  await run(serf, ['leave', ra]);
  await waitFor('balancer exited', () => lb.exitCode !== null, { timeoutMs: 30_000 });
  assert.equal(lb.exitCode, 0, out);
  await waitFor('web-1 sees lb-1 left', async () => /lb-1\s.*\sleft\b/.test((await run(serf, ['members', `-rpc-addr=127.0.0.1:${web.rpc}`])).stdout), { timeoutMs: 30_000 });
});

test('a balancer whose configured RPC address is taken does not start, and says why', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-lb-rpc-taken-');
  const { createServer } = await import('node:net');
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => holder.close(() => r())));
  const taken = (holder.address() as { port: number }).port;
  const [fe, admin, gossip] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web: { lb: [web] }\n');
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    'backends: { web: {} }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'roles: ./roles.yml',
    `gossip: { node: lb-x, bind: 127.0.0.1:${gossip}, profile: local, snapshot: false, rpc_addr: "127.0.0.1:${taken}" }`,
    '',
  ].join('\n'));
  const r = await run(process.execPath, [lbagentBin, 'balancer', '-c', file], { timeout: 50_000 }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Error starting RPC listener on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE.*\\[LBA_ERR_RPC_LISTEN\\]`));
});
