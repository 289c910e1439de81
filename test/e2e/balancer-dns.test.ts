// `lbagent balancer` taking its members from DNS SRV records (sources.dns) served by a real dnsmasq: records
// added, re-weighted and removed while a steady stream of requests flows (none fails; a removed server drains),
// a backup by SRV priority, and a name server that stops answering changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { lbagentBin, repoRoot } from '../helpers/paths.js';
import { startDnsmasq, type SrvRecord } from '../helpers/dnsmasq.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';
import { GiveUp, waitFor } from '../helpers/wait.js';
import { startBackend } from '../proxy/fixtures.js';

const CLIENT = join(repoRoot, 'test', 'helpers', 'steady-client.mjs');
const SRV = '_http._tcp.web.lab';

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

interface StreamReport {
  ok: number;
  failed: number;
  failures: Array<{ at: number; why: string }>;
}

test('balancer with members from DNS SRV: add, re-weight, remove under traffic; a silent name server changes nothing', { timeout: 240_000 }, async (t) => {
  if (!needTool(t, 'dnsmasq')) return;
  const dir = tempDir(t, 'lbagent-dns-e2e-');
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
  });
  const apps = await Promise.all(['app-1', 'app-2', 'app-3', 'app-4'].map((n) => startBackend(n)));
  t.after(() => Promise.all(apps.map((a) => a.close())));
  const [a1, a2, a3, a4] = apps as [typeof apps[0], typeof apps[0], typeof apps[0], typeof apps[0]];
  const hosts = { 'web-1.lab': ['127.0.0.1'], 'web-2.lab': ['127.0.0.1'], 'web-3.lab': ['127.0.0.1'], 'web-4.lab': ['127.0.0.1'] };
  const rec = (n: number, port: number, weight = 0, priority = 10): SrvRecord => ({ name: SRV, target: `web-${n}.lab`, port, weight, priority });
  // web-4 at a higher priority: a backup, given traffic only when no active server is up
  const dns = await startDnsmasq(dir, { srv: [rec(1, a1.port), rec(2, a2.port), rec(4, a4.port, 0, 20)], hosts });
  t.after(() => dns.stop());

  const fe = await freePort();
  const admin = await freePort();
  const gossip = await freePort();
  const file = join(dir, 'lbagent.yml');
  writeFileSync(file, [
    `frontends: { www: { bind: 127.0.0.1:${fe}, default_backend: web } }`,
    'backends: { web: { balance: roundrobin, retries: 2, redispatch: true } }',
    `admin: { bind: 127.0.0.1:${admin} }`,
    'roles: { roles: { web: { lb: [web], check: { interval: 300ms, rise: 1, fall: 2 } } } }',
    `gossip: { node: lb-1, bind: 127.0.0.1:${gossip}, profile: local, snapshot: false }`,
    'controller: { leave_grace: 2s, resync: 5s }',
    'sources:',
    `  dns: [{ name: ${SRV}, role: web, resolvers: [${dns.addr}], interval: 500ms, timeout: 300ms, retries: 1 }]`,
    '',
  ].join('\n'));
  let log = '';
  const lb = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' } });
  procs.push(lb);
  lb.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  lb.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const lines = () => log.split('\n').filter((l) => l && !l.includes('"access":true'));

  const name = (n: number, port: number) => `web-web-${n}.lab-${port}`;
  const pool = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/v1/backends/web`);
    const b = (await res.json()) as { servers: Array<{ name: string; admin: string; status: string; weight: number; backup: boolean; removing?: boolean }> };
    return b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}:${s.status}:w${s.weight}${s.backup ? ':backup' : ''}`).sort().join(' ');
  };
  const running = () => {
    if (lb.exitCode !== null) throw new GiveUp(`balancer exited ${lb.exitCode}:\n${lines().slice(-30).join('\n')}`);
  };
  const expect = (...s: string[]) => s.sort().join(' ');
  const initial = expect(`${name(1, a1.port)}:ready:UP:w1`, `${name(2, a2.port)}:ready:UP:w1`, `${name(4, a4.port)}:ready:UP:w1:backup`);
  await waitFor('the SRV records in the pool, checked UP', async () => (running(), (await pool().catch(() => '')) === initial), { timeoutMs: 90_000 });

  // a steady stream of requests, each on a new connection
  const stream = spawn(process.execPath, [CLIENT, `http://127.0.0.1:${fe}/`, '20', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(stream);
  let report = '';
  let streamErr = '';
  stream.stdout!.on('data', (c: Buffer) => (report += c.toString()));
  stream.stderr!.on('data', (c: Buffer) => (streamErr += c.toString()));
  await waitFor('the stream flows', () => streamErr.includes('first answer'), { timeoutMs: 30_000 });
  const servedSince = (app: typeof a1, since: number) => app.seen.filter((s) => s.at >= since).length;

  // add web-3
  let at = Date.now();
  await dns.setRecords({ srv: [rec(1, a1.port), rec(2, a2.port), rec(3, a3.port), rec(4, a4.port, 0, 20)], hosts });
  await waitFor('web-3 added and serving', async () => (running(), (await pool()).includes(`${name(3, a3.port)}:ready:UP:w1`) && servedSince(a3, at) >= 5), { timeoutMs: 60_000 });
  assert.equal(servedSince(a4, at), 0, 'the backup takes no traffic while active servers are up');

  // re-weight web-1: SRV weight 25600 is HAProxy weight 101, so web-1 takes most of the requests
  await dns.setRecords({ srv: [rec(1, a1.port, 25_600), rec(2, a2.port), rec(3, a3.port), rec(4, a4.port, 0, 20)], hosts });
  await waitFor('web-1 re-weighted', async () => (running(), (await pool()).includes(`${name(1, a1.port)}:ready:UP:w101`)), { timeoutMs: 60_000 });
  at = Date.now();
  await waitFor('web-1 takes the lion\'s share', () => servedSince(a1, at) >= 150, { timeoutMs: 60_000 });
  const share = servedSince(a1, at) / (servedSince(a1, at) + servedSince(a2, at) + servedSince(a3, at));
  t.diagnostic(`after re-weight web-1 served ${(share * 100).toFixed(1)} % (weights 101:1:1)`);
  assert.ok(share > 0.8, `web-1 share ${share}`);

  // remove web-2: drained (leave_grace), then out of the pool
  await dns.setRecords({ srv: [rec(1, a1.port, 25_600), rec(3, a3.port), rec(4, a4.port, 0, 20)], hosts });
  await waitFor('web-2 drained', async () => (running(), (await pool()).includes(`${name(2, a2.port)}:drain`)), { timeoutMs: 60_000 });
  const afterRemoval = expect(`${name(1, a1.port)}:ready:UP:w101`, `${name(3, a3.port)}:ready:UP:w1`, `${name(4, a4.port)}:ready:UP:w1:backup`);
  await waitFor('web-2 removed', async () => (running(), (await pool()) === afterRemoval), { timeoutMs: 60_000 });
  at = Date.now();
  await waitFor('requests after the removal', () => servedSince(a1, at) + servedSince(a3, at) >= 50, { timeoutMs: 60_000 });
  assert.equal(servedSince(a2, at), 0, 'a removed server takes no new requests');

  // the name server stops answering: paused (timeouts), then stopped (refused); nothing changes
  // (each restart of dnsmasq above was a short failure too: count the lines from here)
  const mark = lines().length;
  const failedLines = () => lines().slice(mark).filter((l) => l.includes('resolution failed')).length;
  dns.pause();
  await waitFor('the balancer says resolution failed', () => failedLines() > 0, { timeoutMs: 30_000 });
  await dns.stop();
  const failedAt = Date.now();
  at = failedAt;
  // many rounds (every 0.5 s) and several resyncs (5 s) with no name server
  await waitFor('6 s without a name server', () => Date.now() - failedAt > 6000, { timeoutMs: 30_000, intervalMs: 500 });
  assert.equal(await pool(), afterRemoval, 'pool unchanged without a name server');
  assert.ok(servedSince(a1, at) + servedSince(a3, at) >= 50, 'traffic flowed without a name server');
  assert.equal(failedLines(), 1, 'one log line for the transition');

  stream.kill('SIGTERM');
  await waitFor('the client report', () => report.includes('\n'), { timeoutMs: 15_000 });
  const r = JSON.parse(report) as StreamReport;
  t.diagnostic(`through add, re-weight, removal and a silent name server: ${r.ok} requests ok, ${r.failed} failed`);
  assert.equal(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
});
