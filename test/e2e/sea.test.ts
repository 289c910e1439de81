// The single executables (`npm run build:sea`): built here (once per run; the Node binaries are downloaded once per
// machine), then the Linux one runs its CLI, an agent that joins and leaves, the demo (it starts copies of itself)
// and pretty logs (pino-pretty in process); the Windows one runs under wine on a host of its own (a network
// namespace) with the agents/windows scripts: join-cluster.bat joins a Linux balancer (the Linux executable),
// pause.bat / resume.bat drain it and put it back, a .bat event handler runs, leave-cluster.bat leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host } from '../helpers/netns.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { seaExecutables } from '../helpers/sea.js';
import { tempDir } from '../helpers/tmp.js';
import { needNetns, needTool } from '../helpers/tools.js';
import { GiveUp, waitFor } from '../helpers/wait.js';
import { prepareWinePrefix, winPath, wineEnv, wineRun } from '../helpers/wine.js';

const BUILD_TIMEOUT = 600_000;

interface Proc {
  proc: ChildProcess;
  out(): string;
  exited(): boolean;
}

function capture(proc: ChildProcess): Proc {
  let out = '';
  proc.stdout?.on('data', (c) => (out += c));
  proc.stderr?.on('data', (c) => (out += c));
  return { proc, out: () => out, exited: () => proc.exitCode !== null || proc.signalCode !== null };
}

function startedOn(t: { after(fn: () => void): void }, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const p = capture(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  t.after(() => {
    if (!p.exited()) p.proc.kill('SIGKILL');
  });
  return p;
}

test('single executable (Linux x64): help, version, check, an agent joins and leaves, pretty logs, proxy workers, the demo', { timeout: BUILD_TIMEOUT }, async (t) => {
  const started = Date.now();
  const exe = (await seaExecutables()).get('linux-x64')!;
  t.diagnostic(`built or kept in ${((Date.now() - started) / 1000).toFixed(1)} s: ${exe.path} ${(exe.bytes / 1048576).toFixed(1)} MiB`);
  const run = (...args: string[]) => spawnSync(exe.path, args, { encoding: 'utf8', timeout: 30_000 });

  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: lbagent/);
  assert.match(help.stdout, /balancer\s+Run the load balancer/);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(run('version').stdout, `lbagent v${pkg.version}\n`, 'the version is built in (no package.json beside it)');
  assert.doesNotMatch(help.stderr, /ExperimentalWarning|single executable/i, 'no SEA warning on stderr');
  const check = spawnSync(exe.path, ['check', '-c', join(repoRoot, 'lbagent.yml')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LBAGENT_ENCRYPT: 'cg8StVXbQJ0gPvMd9o7yrg==', LBAGENT_ADMIN_TOKEN: 'token' } });
  assert.equal(check.stdout, 'Configuration file is valid\n', check.stderr);

  // Two agents on loopback, one with pretty logs: pino-pretty runs in process (no transport worker to load it).
  const [g1, g2, r1, r2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const a1 = startedOn(t, exe.path, ['agent', '--node', 'sea-1', '--bind', `127.0.0.1:${g1}`, '--rpc-addr', `127.0.0.1:${r1}`, '--profile', 'local']);
  const a2 = startedOn(t, exe.path, ['agent', '--node', 'sea-2', '--bind', `127.0.0.1:${g2}`, '--rpc-addr', `127.0.0.1:${r2}`, '--profile', 'local', '--role', 'web', '--retry-join', `127.0.0.1:${g1}`], { LBAGENT_LOG_FORMAT: 'pretty' });
  await waitFor('sea-1 sees sea-2 alive', () => {
    for (const a of [a1, a2]) if (a.exited()) throw new GiveUp(`an agent exited:\n${a.out()}`);
    return /sea-2\s+127\.0\.0\.1:\d+\s+alive\s+role=web/.test(run('members', '--rpc-addr', `127.0.0.1:${r1}`).stdout);
  }, { timeoutMs: 60_000, intervalMs: 300 });
  await waitFor('sea-2 logs pretty lines', () => /INFO.*serf: EventMemberJoin: sea-1/.test(a2.out()), { timeoutMs: 30_000 });
  assert.doesNotMatch(a2.out(), /^\{"level"/m);
  assert.match(run('event', 'pause', '--rpc-addr', `127.0.0.1:${r2}`).stdout, /Payload: "sea-2 127\.0\.0\.1 web"/);
  assert.equal(run('leave', '--rpc-addr', `127.0.0.1:${r2}`).status, 0);
  await waitFor('sea-2 exits after its leave', () => a2.proc.exitCode === 0, { timeoutMs: 30_000 });
  await waitFor('sea-1 sees sea-2 left', () => /sea-2\s+\S+\s+left/.test(run('members', '--rpc-addr', `127.0.0.1:${r1}`).stdout), { timeoutMs: 30_000, intervalMs: 300 });
  a1.proc.kill('SIGTERM');
  await waitFor('sea-1 exits on SIGTERM', () => a1.exited(), { timeoutMs: 30_000 });

  // Proxy workers (global.workers) are copies of the executable too (node:cluster forks process.execPath).
  const dir = tempDir(t, 'lbagent-sea-linux-');
  const [front, admin] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'lbagent.yml'), [
    'global: { workers: 2 }',
    `frontends: { www: { bind: "127.0.0.1:${front}", default_backend: web } }`,
    'backends: { web: { servers: [ { name: s1, addr: "127.0.0.1:9" } ] } }',
    `admin: { bind: "127.0.0.1:${admin}" }`,
    '',
  ].join('\n'));
  const workers = startedOn(t, exe.path, ['balancer', '-c', join(dir, 'lbagent.yml')], { LBAGENT_LOG_FORMAT: 'json' });
  await waitFor('2 proxy workers start', () => {
    if (workers.exited()) throw new GiveUp(`the balancer exited:\n${workers.out()}`);
    return workers.out().includes('2 proxy workers started');
  }, { timeoutMs: 60_000, intervalMs: 200 });
  assert.match(run('servers', '--admin', `http://127.0.0.1:${admin}`).stdout, /s1\s+127\.0\.0\.1:9/);
  workers.proc.kill('SIGTERM');
  await waitFor('the balancer and its workers stop', () => workers.exited(), { timeoutMs: 30_000 });

  // The demo starts a balancer and app servers as copies of itself (no node, no bin/lbagent.js here).
  const demo = startedOn(t, exe.path, ['demo', '--apps', '1', '--port', String(await freePort()), '--admin-port', String(await freePort())]);
  const url = await waitFor('the demo prints its URL', () => {
    if (demo.exited()) throw new GiveUp(`the demo exited:\n${demo.out()}`);
    return /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(demo.out())?.[1];
  }, { timeoutMs: 90_000, intervalMs: 200 });
  let answer = '';
  await waitFor('the demo serves through its balancer', async () => {
    if (demo.exited()) throw new GiveUp(`the demo exited:\n${demo.out()}`);
    answer = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    return /Hello from web-01/.test(answer);
  }, { timeoutMs: 90_000, intervalMs: 300 }).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${answer}\n${demo.out()}\n${run('servers', '--admin', /(http:\/\/127\.0\.0\.1:\d+)\/v1\/stats/.exec(demo.out())?.[1] ?? '').stdout}`);
  });
  demo.proc.kill('SIGINT');
  await waitFor('the demo stops', () => demo.exited(), { timeoutMs: 30_000 });
});

interface PoolServer {
  name: string;
  addr: string;
  admin: string;
  status: string;
  removing?: boolean;
}

test('single executable (Windows x64) under wine on a host of its own: join-cluster.bat, pause.bat, resume.bat, a .bat handler, leave-cluster.bat against a Linux balancer', { timeout: BUILD_TIMEOUT }, async (t) => {
  if (!needTool(t, 'wine')) return;
  if (!needNetns(t)) return;
  const builds = await seaExecutables();
  const linux = builds.get('linux-x64')!.path;
  const windowsExe = builds.get('win-x64')!.path;
  const started = Date.now();
  // What a failed wait shows (registered first: it runs before the hosts and the directory go away).
  let finished = false;
  let diagnose = async (): Promise<string> => '';
  t.after(async () => {
    if (!finished) t.diagnostic(await diagnose());
  });
  const topo = buildHosts(t, ['lb', 'win']);
  const [lb, win] = topo.hosts as [Host, Host];
  const dir = tempDir(t, 'lbagent-sea-wine-');

  // The balancer host: the Linux executable, role web → backend web (health-checked: the Windows host runs the demo's app server).
  const config = join(dir, 'lbagent.yml');
  writeFileSync(config, [
    'frontends: { www: { bind: "*:80", default_backend: web } }',
    'backends: { web: { balance: roundrobin, check: { type: http, path: / } } }',
    'roles:',
    '  defaults: { check: { interval: 500ms, rise: 1, fall: 2 } }',
    '  roles: { web: { lb: [web], port: 8080 } }',
    'gossip: { node: lb-1 }',
    'controller: { pause_state: drain, failed_grace: 1s, leave_grace: 1s, resync: 5s }',
    '',
  ].join('\n'));
  const balancer = capture(lb.spawn(linux, ['balancer', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STATE_DIRECTORY: dir } }));
  const pool = async (): Promise<PoolServer[]> => {
    if (balancer.exited()) throw new GiveUp(`the balancer exited:\n${balancer.out()}`);
    const { stdout } = await lb.run(linux, ['servers', '--format', 'json']);
    return (JSON.parse(stdout) as Array<{ name: string; servers: PoolServer[] }>).find((b) => b.name === 'web')!.servers.filter((s) => !s.removing);
  };
  await waitFor('the balancer answers `lbagent servers`', pool, { timeoutMs: 60_000, intervalMs: 300 });

  // The Windows host: the shipped scripts and agent.yml beside lbagent.exe, as the README says to copy them;
  // agent.yml edited only where a user edits it (the balancer's address) plus a .bat event handler.
  const prefix = join(dir, 'wineprefix');
  const agentLog = join(prefix, 'drive_c', 'ProgramData', 'lbagent', 'agent.log');
  const app = join(dir, 'Program Files', 'lbagent'); // a space in the path, as in C:\Program Files
  mkdirSync(app, { recursive: true });
  symlinkSync(windowsExe, join(app, 'lbagent.exe'));
  const shipped = join(repoRoot, 'agents', 'windows');
  for (const f of readdirSync(shipped)) if (f.endsWith('.bat')) copyFileSync(join(shipped, f), join(app, f));
  const agentYml = readFileSync(join(shipped, 'agent.yml'), 'utf8');
  assert.match(agentYml, /- 10\.0\.0\.10 /, 'the shipped agent.yml has the example balancer address this test replaces');
  writeFileSync(join(app, 'agent.yml'), `${agentYml.replace('- 10.0.0.10 ', `- ${lb.ip} `)}event_handlers:\n  - user:deploy="${winPath(join(app, 'handler.bat'))}"\n`);
  writeFileSync(join(app, 'handler.bat'), '@echo off\r\necho %SERF_EVENT% %SERF_USER_EVENT% %SERF_SELF_NAME% %SERF_SELF_ROLE%>> "%~dp0handler.out"\r\n');
  // What a failed wait shows: the pool and the ends of both logs.
  diagnose = async () => `pool: ${JSON.stringify(await pool().catch((e: Error) => e.message))}\nbalancer:\n${balancer.out().slice(-3000)}\nagent.log:\n${existsSync(agentLog) ? readFileSync(agentLog, 'utf8').slice(-3000) : '(none)'}\napp:\n${existsSync(appLog) ? readFileSync(appLog, 'utf8') : '(none)'}`;
  const bat = (name: string) => wineRun(win, prefix, dir, ['cmd', '/c', winPath(join(app, name))]);

  await prepareWinePrefix(win, prefix, dir);
  const prepared = Date.now();
  // The app the balancer sends this host's traffic to (and health-checks): the demo's app server, as lbagent.exe.
  const appLog = join(dir, 'app.log');
  const appFd = openSync(appLog, 'w');
  win.spawn('wine', [winPath(join(app, 'lbagent.exe')), 'demo', '--app', 'win-app', '--port', '8080'], { stdio: ['ignore', appFd, appFd], env: wineEnv(prefix) });
  closeSync(appFd);
  const join1 = await bat('join-cluster.bat');
  assert.equal(join1.code, 0, join1.out);
  assert.match(join1.out, /agent started/);
  const server = await waitFor('the Windows host in the balancer\'s pool, by its own IP', async () => {
    const s = (await pool()).find((x) => x.addr === win.ip);
    return s?.admin === 'ready' && s.status === 'UP' ? s : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  const joined = Date.now();
  assert.match(readFileSync(agentLog, 'utf8'), /lbagent agent running! Node name: '([^']+)'/, 'the agent logs to %ProgramData%\\lbagent\\agent.log');
  const name = server.name;
  assert.ok(name.length > 0 && name !== 'lb-1');
  assert.equal((await bat('join-cluster.bat')).out.trim(), 'lbagent: the agent is already running', 'a second start does not start a second agent');

  const paused = await bat('pause.bat');
  assert.equal(paused.code, 0, paused.out);
  assert.match(paused.out, new RegExp(`Payload: "${name} ${win.ip.replace(/\./g, '\\.')} web"`), 'serf\'s "NODE IP ROLE", computed by the agent');
  await waitFor('pause.bat drains it at the balancer', async () => (await pool()).find((s) => s.name === name)?.admin === 'drain', { timeoutMs: 60_000, intervalMs: 300 });
  const { stdout: table } = await lb.run(linux, ['servers']);
  assert.match(table, new RegExp(`${name}\\s+${win.ip.replace(/\./g, '\\.')}:8080\\s+\\S+\\s+drain`), table);
  const resumed = await bat('resume.bat');
  assert.equal(resumed.code, 0, resumed.out);
  await waitFor('resume.bat puts it back UP and ready', async () => {
    const s = (await pool()).find((x) => x.name === name);
    return s?.admin === 'ready' && s.status === 'UP';
  }, { timeoutMs: 60_000, intervalMs: 300 });

  const { stdout: hello } = await lb.run('curl', ['-s', '-m', '5', 'http://127.0.0.1/']);
  assert.match(hello, /Hello from win-app/, 'traffic through the balancer reaches the Windows host');

  // A user event reaches the Windows agent's .bat handler (cmd.exe /C), with serf's environment.
  const sent = await wineRun(win, prefix, dir, [winPath(join(app, 'lbagent.exe')), 'event', 'deploy', 'v42']);
  assert.equal(sent.code, 0, sent.out);
  await waitFor('the .bat handler ran', () => existsSync(join(app, 'handler.out')) && readFileSync(join(app, 'handler.out'), 'utf8').includes(`user deploy ${name} web`), { timeoutMs: 60_000, intervalMs: 300 });

  const left = await bat('leave-cluster.bat');
  assert.equal(left.code, 0, left.out);
  assert.match(left.out, /Graceful leave complete/);
  await waitFor('the balancer sees it leave and removes it', async () => !(await pool()).some((s) => s.name === name), { timeoutMs: 60_000, intervalMs: 300 });
  assert.match(balancer.out(), new RegExp(`EventMemberLeave: ${name} ${win.ip.replace(/\./g, '\\.')}`));
  await waitFor('the Windows agent exited', () => /agent: shutdown complete/.test(readFileSync(agentLog, 'utf8')), { timeoutMs: 30_000, intervalMs: 300 });
  finished = true;
  t.diagnostic(`wine: prefix ${((prepared - started) / 1000).toFixed(1)} s, join-cluster.bat → UP at the balancer ${((joined - prepared) / 1000).toFixed(1)} s, whole test ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
