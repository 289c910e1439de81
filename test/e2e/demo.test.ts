// `lbagent demo` as a user runs it: a real balancer and app servers as processes on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lbagentBin, repoRoot } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from '../helpers/procs.js';

async function servedBy(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url);
    await res.text();
    return res.headers.get('x-served-by') ?? undefined;
  } catch {
    return undefined;
  }
}

test('lbagent demo --static: traffic over three app servers, a killed one leaves rotation, Ctrl-C stops everything', { timeout: 90_000 }, async (t) => {
  const child = spawn(process.execPath, [lbagentBin, 'demo', '--static', '--port', '0', '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const frontend = await waitFor('the demo banner', () => /frontend \(open it\):\s+(http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 60_000 });
  const pids = [...out.matchAll(/app server (web-\d+):.*pid (\d+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
  assert.equal(pids.length, 3, out);
  t.after(() => {
    for (const p of pids) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  });

  const seen = new Set<string>();
  await waitFor('all three app servers answer through the balancer', async () => {
    const who = await servedBy(frontend);
    if (who) seen.add(who);
    return seen.size === 3;
  });

  process.kill(pids[1]!.pid, 'SIGKILL');
  await waitFor(`${pids[1]!.name} out of rotation`, async () => {
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add((await servedBy(frontend)) ?? 'error');
    return names.size === 2 && !names.has(pids[1]!.name) && !names.has('error');
  }, { timeoutMs: 30_000 });

  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
  for (const p of pids) assert.equal(alive(p.pid), false, `${p.name} still running`);
  assert.equal(await servedBy(frontend), undefined);
});

const gossipSkip = existsSync(join(repoRoot, 'src', 'gossip', 'serf', 'serf.ts')) ? false : 'the serf implementation is not in this tree yet';

test('lbagent demo (gossip): app servers join through their agents and get traffic; Ctrl-C stops everything', { skip: gossipSkip, timeout: 90_000 }, async (t) => {
  const child = spawn(process.execPath, [lbagentBin, 'demo', '--port', '0', '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const frontend = await waitFor('the demo banner', () => /frontend \(open it\):\s+(http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 60_000 });
  const seen = new Set<string>();
  await waitFor('all three app servers answer through the balancer', async () => {
    const who = await servedBy(frontend);
    if (who) seen.add(who);
    return seen.size === 3;
  }, { timeoutMs: 60_000 });
  // The banner is what a person sees: the children's logs went to the files it names, not to this terminal.
  const logDir = /logs:\s+(\S+)\//.exec(out)?.[1];
  assert.ok(logDir && existsSync(join(logDir, 'balancer.log')), out);
  assert.doesNotMatch(out, /"level":|\bINFO\b/, 'log lines on the terminal');
  assert.match(out, /node bin\/lbagent\.js members --rpc-addr 127\.0\.0\.1:\d+/);
  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
});
