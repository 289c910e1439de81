// The documented install, as a user does it: `npm pack`, `npm install -g ./lbagent-*.tgz` (here into a prefix of
// the test's), then `lbagent` from PATH in a directory of the user's: help, check, an agent that joins, lists
// and leaves; and agents/linux's systemd units: `systemd-analyze verify`, and the agent unit's ExecStart run as
// systemd would run it (its env file, its KillSignal). The tests of this file share one pack and install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installedLbagent, userEnv, type Installed } from '../helpers/npm-install.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { needCondition, needTool } from '../helpers/tools.js';
import { repoRoot } from '../helpers/paths.js';
import { GiveUp, waitFor } from '../helpers/wait.js';
import { envFile, execArgv, unitKeys, unitValue } from '../helpers/systemd-unit.js';

const run = promisify(execFile);
const TIMEOUT = 180_000;
/** The path the shipped units name: where `npm install -g` puts the command with Debian's nodejs and npm. */
const UNIT_BIN = '/usr/local/bin/lbagent';

type Member = { name: string; status: string; tags: Record<string, string> };

/** A directory of the user's, away from the checkout: the installed command must not need it. */
function elsewhere(t: { after(fn: () => void): void }): string {
  return tempDir(t, 'lbagent-user-');
}

async function lbagent(inst: Installed, cwd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  // `lbagent`, looked up on PATH as a shell does: the prefix's bin is first on it.
  const { stdout } = await run('lbagent', args, { cwd, env: userEnv(inst.prefix, extraEnv) });
  return stdout;
}

async function members(inst: Installed, cwd: string, rpc: number): Promise<Member[]> {
  return JSON.parse(await lbagent(inst, cwd, ['members', '--format', 'json', '--rpc-addr', `127.0.0.1:${rpc}`])) as Member[];
}

function exitOf(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.once('exit', (code) => r(code)));
}

/** Spawned with its output collected, SIGKILLed at the end of the test if still running. */
function started(t: { after(fn: () => void): void }, cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): { proc: ChildProcess; output: () => string } {
  const proc = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c) => (out += c));
  proc.stderr?.on('data', (c) => (out += c));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, output: () => out };
}

/** An installed agent (`lbagent agent`, or `lbagent join ADDR`) on loopback ports, up once its RPC answers. */
async function agent(t: { after(fn: () => void): void }, inst: Installed, cwd: string, name: string, args: string[] = [], command = ['agent']) {
  const [gossip, rpc] = [await freePort(), await freePort()];
  const a = started(t, 'lbagent', [...command, '--node', name, '--bind', `127.0.0.1:${gossip}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', ...args], { cwd, env: userEnv(inst.prefix) });
  await waitFor(`agent ${name} answers on its RPC`, async () => {
    if (a.proc.exitCode !== null) throw new GiveUp(`agent ${name} exited ${a.proc.exitCode}: ${a.output()}`);
    return (await members(inst, cwd, rpc)).some((m) => m.name === name);
  }, { timeoutMs: 60_000 });
  return { ...a, gossip, rpc };
}

test('npm pack ships the compiled dist/ and no sources or dev tools; npm install -g of it needs no build', { timeout: TIMEOUT }, async () => {
  const inst = await installedLbagent();
  const { stdout } = await run('tar', ['tzf', inst.tarball]);
  const files = stdout.split('\n').filter((f) => f !== '');
  for (const f of ['package/bin/lbagent.js', 'package/dist/src/cli/main.js', 'package/agents/linux/lbagent-agent.service', 'package/agents/linux/lbagent-balancer.service', 'package/agents/linux/lbagent.env', 'package/agents/linux/agent.yml', 'package/lbagent.yml', 'package/roles.yml']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(files.filter((f) => f.endsWith('.ts') || f.startsWith('package/test/') || f.endsWith('.map')), [], 'no TypeScript, tests or source maps');
  const deps = join(inst.packageDir, 'node_modules');
  for (const dev of ['tsx', 'typescript', 'esbuild', '@types']) assert.equal(existsSync(join(deps, dev)), false, `${dev} is not installed`);
  assert.equal(existsSync(join(inst.packageDir, 'src', 'cli', 'main.ts')), false);
  console.log(`# tarball ${(inst.tarballBytes / 1024).toFixed(0)} KiB, npm pack ${(inst.packMs / 1000).toFixed(1)} s, npm install -g ${(inst.installMs / 1000).toFixed(1)} s`);
});

test('the installed lbagent, from another directory: --help, --version, keygen, check of the shipped lbagent.yml', { timeout: TIMEOUT }, async (t) => {
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  assert.match(await lbagent(inst, cwd, ['--help']), /Usage: lbagent [\s\S]*<command>[\s\S]*balancer[\s\S]*agent[\s\S]*members/);
  const pkg = JSON.parse(readFileSync(join(inst.packageDir, 'package.json'), 'utf8')) as { version: string };
  assert.match(await lbagent(inst, cwd, ['--version']), new RegExp(`v${pkg.version.replace(/\./g, '\\.')}`));
  const key = (await lbagent(inst, cwd, ['keygen'])).trim();
  assert.equal(Buffer.from(key, 'base64').length, 32, key);
  // lbagent.yml as shipped (what the balancer unit's ExecStartPre checks), its gossip key from the environment
  const config = join(inst.packageDir, 'lbagent.yml');
  assert.match(await lbagent(inst, cwd, ['check', '-c', config], { LBAGENT_ENCRYPT: key }), /Configuration file is valid/);
  await assert.rejects(lbagent(inst, cwd, ['check', '-c', config]), (err: { code?: number; stderr?: string }) => err.code === 1 && /LBAGENT_ENCRYPT/.test(err.stderr ?? ''));
});

test("the README's app-server commands from the installed lbagent: join LB --role web, members, event pause, leave", { timeout: TIMEOUT }, async (t) => {
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  const lb = await agent(t, inst, cwd, 'lb-1', ['--role', 'lb']);
  const web = await agent(t, inst, cwd, 'web-1', ['--role', 'web'], ['join', `127.0.0.1:${lb.gossip}`]);
  await waitFor('web-1 alive with role web in lb-1', async () => {
    const m = (await members(inst, cwd, lb.rpc)).find((x) => x.name === 'web-1');
    return m?.status === 'alive' && m.tags.role === 'web';
  });
  await lbagent(inst, cwd, ['event', 'pause', '--rpc-addr', `127.0.0.1:${web.rpc}`]);
  await lbagent(inst, cwd, ['leave', '--rpc-addr', `127.0.0.1:${web.rpc}`]);
  assert.equal(await exitOf(web.proc), 0, web.output());
  await waitFor('web-1 left in lb-1', async () => (await members(inst, cwd, lb.rpc)).find((x) => x.name === 'web-1')?.status === 'left');
});

const UNITS = ['lbagent-agent.service', 'lbagent-balancer.service'];

test('agents/linux units pass systemd-analyze verify (ExecStart pointed at the installed lbagent)', { timeout: TIMEOUT }, async (t) => {
  const analyze = needTool(t, 'systemd-analyze');
  if (!analyze) return;
  const inst = await installedLbagent();
  const dir = tempDir(t, 'lbagent-units-');
  for (const unit of UNITS) {
    const text = readFileSync(join(inst.packageDir, 'agents', 'linux', unit), 'utf8');
    assert.ok(text.includes(`ExecStart=${UNIT_BIN} `), `${unit} runs ${UNIT_BIN}`);
    // verify checks that each Exec*= program exists and is executable: this machine has no lbagent at
    // /usr/local/bin (the test must not install one there), so the copy names the one the test installed.
    writeFileSync(join(dir, unit), text.replaceAll(UNIT_BIN, inst.bin));
  }
  const r = await run(analyze, ['verify', ...UNITS.map((u) => join(dir, u))]).catch((err: { code: number; stdout: string; stderr: string }) => err);
  // A warning (an unknown key, a bad value) leaves the exit code 0: any output fails the test.
  assert.equal('code' in r ? r.code : 0, 0, r.stderr);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'systemd-analyze verify says nothing');
});

test("lbagent-agent.service's ExecStart, with the shipped env file and agent.yml, joins the cluster; its KillSignal makes it leave and exit 0", { timeout: TIMEOUT }, async (t) => {
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  const shipped = join(inst.packageDir, 'agents', 'linux');
  const unit = unitKeys(readFileSync(join(shipped, 'lbagent-agent.service'), 'utf8'));
  const key = (await lbagent(inst, cwd, ['keygen'])).trim();
  const lb = await agent(t, inst, cwd, 'lb-1', ['--role', 'lb', '--encrypt', key]);

  const etc = tempDir(t, 'lbagent-etc-');
  const [gossip, rpc] = [await freePort(), await freePort()];
  const filled = etcLbagent(inst, etc, { key, join: `127.0.0.1:${lb.gossip}`, opts: `--node app-1 --bind 127.0.0.1:${gossip} --rpc-addr 127.0.0.1:${rpc} --profile local` });
  const envPath = unitValue(unit, 'EnvironmentFile').replace(/^-/, '');
  assert.equal(envPath, '/etc/lbagent/lbagent.env');

  // systemd gives a service only its own environment: the env file's variables and a PATH (where node is).
  const env = { ...envFile(filled), PATH: userEnv(inst.prefix).PATH! };
  const argv = execArgv(unitValue(unit, 'ExecStart'), env).map((w) => w.replaceAll('/etc/lbagent', etc).replace(UNIT_BIN, inst.bin));
  assert.equal(argv[0], inst.bin);
  const app = started(t, argv[0]!, argv.slice(1), { cwd: '/', env });
  await waitFor('app-1 (the unit) alive in lb-1 with role web', async () => {
    if (app.proc.exitCode !== null) throw new GiveUp(`the unit's agent exited ${app.proc.exitCode}: ${app.output()}`);
    const m = (await members(inst, cwd, lb.rpc)).find((x) => x.name === 'app-1');
    return m?.status === 'alive' && m.tags.role === 'web';
  }, { timeoutMs: 60_000 });

  const signal = unitValue(unit, 'KillSignal') as NodeJS.Signals;
  app.proc.kill(signal);
  await waitFor(`app-1 left in lb-1 after ${signal}`, async () => (await members(inst, cwd, lb.rpc)).find((x) => x.name === 'app-1')?.status === 'left', { timeoutMs: 30_000 });
  assert.equal(await exitOf(app.proc), 0, app.output());
});

/**
 * /etc/lbagent as agents/README.md's steps leave it (the shipped agent.yml; the shipped env file with the values a
 * user fills in, and, so the test's agent fits beside others on this host, loopback ports in LBAGENT_AGENT_OPTS,
 * the documented place for more flags). Returns the env file's text.
 */
function etcLbagent(inst: Installed, etc: string, vars: { key: string; join: string; opts: string }): string {
  const shipped = join(inst.packageDir, 'agents', 'linux');
  copyFileSync(join(shipped, 'agent.yml'), join(etc, 'agent.yml'));
  const filled = readFileSync(join(shipped, 'lbagent.env'), 'utf8')
    .replace(/^#?LBAGENT_ENCRYPT=.*$/m, `LBAGENT_ENCRYPT=${vars.key}`)
    .replace(/^#?LBAGENT_JOIN=.*$/m, `LBAGENT_JOIN=${vars.join}`)
    .replace(/^LBAGENT_AGENT_OPTS=.*$/m, `LBAGENT_AGENT_OPTS=${vars.opts}`);
  writeFileSync(join(etc, 'lbagent.env'), filled, { mode: 0o600 });
  return filled;
}

test('a Debian 12 booted with systemd (systemd-nspawn) and lbagent-agent.service enabled: the agent joins at boot, leaves at shutdown', { timeout: 420_000 }, async (t) => {
  if (!needTool(t, 'systemd-nspawn') || !needTool(t, 'debootstrap')) return;
  if (!needCondition(t, process.getuid?.() === 0 ? undefined : 'booting a container with systemd-nspawn needs root (CI runs as root)')) return;
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  // Debian 12 with systemd and node, built once per machine and kept (2-3 minutes the first time)
  const rootfs = (await run(join(repoRoot, 'scripts', 'systemd-rootfs.sh'), [], { maxBuffer: 1 << 20 })).stdout.trim().split('\n').pop()!;
  const key = (await lbagent(inst, cwd, ['keygen'])).trim();
  const lb = await agent(t, inst, cwd, 'lb-1', ['--role', 'lb', '--encrypt', key]);
  const [gossip, rpc] = [await freePort(), await freePort()];
  const name = `boot-${process.pid}`;

  const dir = tempDir(t, 'lbagent-boot-');
  const etc = join(dir, 'etc-lbagent');
  mkdirSync(etc);
  // Bound to every address as the shipped agent.yml: the agent reads the host's interfaces (netlink) to pick the
  // address it advertises, which the unit's RestrictAddressFamilies must allow (this test failed without AF_NETLINK).
  etcLbagent(inst, etc, { key, join: `127.0.0.1:${lb.gossip}`, opts: `--node ${name} --bind 0.0.0.0:${gossip} --rpc-addr 127.0.0.1:${rpc} --profile local` });
  // /etc/systemd/system after `install lbagent-agent.service /etc/systemd/system/ && systemctl enable lbagent-agent`
  const units = join(dir, 'etc-systemd-system');
  mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
  copyFileSync(join(inst.packageDir, 'agents', 'linux', 'lbagent-agent.service'), join(units, 'lbagent-agent.service'));
  symlinkSync('../lbagent-agent.service', join(units, 'multi-user.target.wants', 'lbagent-agent.service'));
  chmodSync(dir, 0o755);

  // The host's network (the agent reaches lb-1 on 127.0.0.1); the test's `npm install -g --prefix` at /usr/local,
  // where the README's install puts lbagent; writes go to a tmpfs overlay, so the cached tree stays as built.
  // --register=no --keep-unit: no machined or systemd on the host to ask (systemd is not PID 1 on CI).
  const boot = started(t, 'systemd-nspawn', [
    '-D', rootfs, '--volatile=overlay', '--register=no', '--keep-unit', '-M', name, '--console=pipe',
    `--bind-ro=${inst.prefix}:/usr/local`, `--bind-ro=${etc}:/etc/lbagent`, `--bind-ro=${units}:/etc/systemd/system`, '--boot',
  ], { cwd: '/', env: userEnv(inst.prefix) });
  await waitFor(`${name} (booted, lbagent-agent.service) alive in lb-1 with role web`, async () => {
    if (boot.proc.exitCode !== null) throw new GiveUp(`systemd-nspawn exited ${boot.proc.exitCode}: ${boot.output()}`);
    const m = (await members(inst, cwd, lb.rpc)).find((x) => x.name === name);
    return m?.status === 'alive' && m.tags.role === 'web';
  }, { timeoutMs: 120_000 });

  // SIGTERM to systemd-nspawn shuts the container down cleanly (poweroff): systemd stops the unit with its
  // KillSignal, and the agent must have left before the container is gone.
  boot.proc.kill('SIGTERM');
  assert.equal(await exitOf(boot.proc), 0, boot.output());
  assert.equal((await members(inst, cwd, lb.rpc)).find((x) => x.name === name)?.status, 'left', 'left at shutdown (not failed)');
});

test('lbagent demo from the installed package prints lbagent commands that work as printed', { timeout: TIMEOUT }, async (t) => {
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  const startDemo = async () => {
    const d = started(t, 'lbagent', ['demo', '--apps', '2', '--port', '0', '--admin-port', '0'], { cwd, env: userEnv(inst.prefix, { LBAGENT_LOG_LEVEL: 'warn' }) });
    await waitFor('the demo banner', () => {
      if (d.proc.exitCode !== null) throw new GiveUp(`the demo exited ${d.proc.exitCode}: ${d.output()}`);
      return /Ctrl-C stops everything/.test(d.output());
    }, { timeoutMs: 90_000 });
    return d;
  };
  // The demo prefers its memorable stats port (8404) when it is free; a concurrent test (compose publishes 8404)
  // can take it between the demo's check and its balancer's bind. That race is the test machine's: try once more.
  const demo = await startDemo().catch((err: Error) => {
    if (!/EADDRINUSE/.test(err.message)) throw err;
    return startDemo();
  });
  const exited = exitOf(demo.proc);
  // The "Try:" lines that query, as a user pastes them into a shell (comments and all)
  const lines = demo.output().split('\n').map((l) => l.trim()).filter((l) => /^lbagent (members|servers|event pause) /.test(l));
  assert.equal(lines.length, 3, demo.output());
  for (const line of lines) {
    const { stdout } = await run('/bin/sh', ['-c', line], { cwd, env: userEnv(inst.prefix) });
    if (line.startsWith('lbagent members')) assert.match(stdout, /web-01\s+\S+\s+alive/, line);
  }
  demo.proc.kill('SIGINT');
  assert.equal(await exited, 0, demo.output());
});

test('upgrade: a newer tarball installed over it while an agent runs; the agent keeps answering and leaves, a restart runs the new version', { timeout: TIMEOUT }, async (t) => {
  const inst = await installedLbagent();
  const cwd = elsewhere(t);
  const a = await agent(t, inst, cwd, 'upgraded-1');
  // The next release: the same tarball with a higher version (npm takes any tarball with a package/ directory).
  const dir = tempDir(t, 'lbagent-upgrade-');
  await run('tar', ['xzf', inst.tarball, '-C', dir]);
  const manifest = join(dir, 'package', 'package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const next = pkg.version.replace(/(\d+)$/, (n) => String(Number(n) + 1));
  writeFileSync(manifest, JSON.stringify({ ...pkg, version: next }, null, 2));
  await run('tar', ['czf', join(dir, `lbagent-${next}.tgz`), '-C', dir, 'package']);
  await run('npm', ['install', '-g', '--prefix', inst.prefix, '--prefer-offline', '--no-audit', '--no-fund', `./lbagent-${next}.tgz`], { cwd: dir, env: userEnv(join(dir, 'none'), { npm_config_update_notifier: 'false' }) });

  assert.match(await lbagent(inst, cwd, ['--version']), new RegExp(`v${next.replace(/\./g, '\\.')}`));
  assert.equal((await members(inst, cwd, a.rpc)).find((m) => m.name === 'upgraded-1')?.status, 'alive', 'the running agent answers the new CLI');
  a.proc.kill('SIGINT'); // what `systemctl restart lbagent-agent` sends first (KillSignal)
  assert.equal(await exitOf(a.proc), 0, a.output());
  const b = await agent(t, inst, cwd, 'upgraded-2');
  assert.equal((await members(inst, cwd, b.rpc)).find((m) => m.name === 'upgraded-2')?.status, 'alive');
});
