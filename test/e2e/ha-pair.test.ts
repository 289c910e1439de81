// Two lbagent balancers behind one virtual IP with keepalived (issue 18), on hosts of their own (network
// namespaces): examples/keepalived's configs with this network's VIP, both balancers in one gossip cluster, app
// hosts joined with `lbagent join`, a client host sending a steady stream of requests to the VIP, each on a new
// connection. SIGTERM of the VIP holder's balancer costs no request; the stopped one comes back, honours a pause
// sent while it was down and the pair is whole; SIGKILL of the holder is served again within keepalived's
// advert_int × 3 + fall × interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHosts, type Host, type LbagentProc } from '../helpers/netns.js';
import { cutByVipMove, startKeepalived, watchVipArrival, type Keepalived } from '../helpers/keepalived.js';
import { lbagentBin, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { needNetns, needTool } from '../helpers/tools.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const CLIENT = join(repoRoot, 'test', 'helpers', 'steady-client.mjs');
const exited = (p: LbagentProc) => (p.exited() ? Promise.resolve() : new Promise<void>((r) => p.proc.once('exit', () => r())));

interface StreamReport {
  ok: number;
  failed: number;
  longestGapMs: number;
  failures: Array<{ at: number; failedAt: number; why: string }>;
}

test('keepalived pair: a planned stop loses nothing, a crash is served again within keepalived\'s timers, the pair comes back whole', { timeout: 300_000 }, async (t) => {
  if (!needNetns(t) || !needTool(t, 'keepalived') || !needTool(t, 'curl')) return;
  const topo = buildHosts(t, ['lb1', 'lb2', 'web1', 'web2', 'client']);
  const [lb1, lb2, web1, web2, client] = topo.hosts as [Host, Host, Host, Host, Host];
  const dir = tempDir(t, 'lbagent-ha-');
  const vip = lb1.ip.replace(/\.\d+$/, '.250');
  const cli = (h: Host, ...args: string[]) => h.run(process.execPath, [lbagentBin, ...args]);

  // examples/keepalived/lbagent.yml with this network's addresses, no secrets (a test cluster)
  const example = readFileSync(join(repoRoot, 'examples', 'keepalived', 'lbagent.yml'), 'utf8')
    .replace(/^ {2}encrypt: .*\n/m, '')
    .replace(/^ {2}token: .*\n/m, '')
    .replace('defaults: {}', '')
    .replace(/roles:\n {2}roles:/, 'roles:\n  defaults: { check: { interval: 500ms, rise: 1, fall: 2 } }\n  roles:');
  const balancers = new Map<Host, LbagentProc>();
  const startBalancer = (h: Host, node: string, other: Host) => {
    const file = join(dir, `${node}.yml`);
    writeFileSync(file, example.replace('node: lb-1', `node: ${node}`).replace('"10.0.0.12"', `"${other.ip}"`));
    const p = h.lbagent(['balancer', '-c', file], { env: { STATE_DIRECTORY: join(dir, `state-${node}`) } });
    balancers.set(h, p);
    return p;
  };
  const health = async (h: Host) => (await h.run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '2', 'http://127.0.0.1:9901/v1/health']).catch(() => ({ stdout: '' }))).stdout;
  const pool = async (h: Host) => {
    const { stdout } = await h.run('curl', ['-sf', '-m', '2', 'http://127.0.0.1:9901/v1/backends/web']);
    return (JSON.parse(stdout) as { servers: Array<{ name: string; admin: string; status: string; removing?: boolean }> }).servers
      .filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}:${s.status}`).sort().join(' ');
  };
  const alive = (h: Host, what: string) => {
    if (balancers.get(h)!.exited()) throw new GiveUp(`${what} exited:\n${balancers.get(h)!.out()}`);
  };

  startBalancer(lb1, 'lb-1', lb2);
  startBalancer(lb2, 'lb-2', lb1);
  await waitFor('both balancers healthy', async () => (alive(lb1, 'lb-1'), alive(lb2, 'lb-2'), (await health(lb1)) === '200' && (await health(lb2)) === '200'), { timeoutMs: 60_000 });
  for (const [h, name] of [[web1, 'web-1'], [web2, 'web-2']] as const) {
    h.lbagent(['demo', '--app', name, '--port', '8080']);
    h.lbagent(['join', lb1.ip, '--role', 'web', '--node', name]);
  }
  const whole = 'web-1:ready:UP web-2:ready:UP';
  await waitFor('both balancers hold both app servers UP', async () => (await pool(lb1)) === whole && (await pool(lb2)) === whole, { timeoutMs: 60_000 });

  // keepalived from the example, with this network's VIP
  const keepalived = new Map<Host, Keepalived>();
  for (const [h, n] of [[lb1, 1], [lb2, 2]] as const) {
    const confText = readFileSync(join(repoRoot, 'examples', 'keepalived', `keepalived-lb-${n}.conf`), 'utf8').replaceAll('10.0.0.100/24', `${vip}/24`);
    keepalived.set(h, startKeepalived(h, dir, { vip, confText }));
  }
  // both start BACKUP with nopreempt: whichever becomes master first keeps the VIP (usually lb-1, priority 101)
  let holder: Host | undefined;
  await waitFor('one balancer holds the VIP', async () => {
    for (const h of [lb1, lb2]) if (await keepalived.get(h)!.holdsVip()) holder = h;
    return holder;
  }, { timeoutMs: 30_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\nkeepalived on lb-1:\n${keepalived.get(lb1)!.out().slice(-3000)}\nkeepalived on lb-2:\n${keepalived.get(lb2)!.out().slice(-1500)}`);
  });
  const [first, second] = holder === lb1 ? [lb1, lb2] : [lb2, lb1];
  const name = (h: Host) => (h === lb1 ? 'lb-1' : 'lb-2');
  await waitFor('the client reaches the VIP', async () => (await client.run('curl', ['-sf', '-m', '2', `http://${vip}/`]).then(() => true, () => false)), { timeoutMs: 30_000 });

  const stream = () => {
    const p = client.spawn(process.execPath, [CLIENT, `http://${vip}/`, '20', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (err += c));
    return {
      /** the stream is flowing: its first request was answered */
      flowing: () => waitFor('the client stream flowing', () => err.includes('first answer'), { timeoutMs: 30_000 }),
      async stop(): Promise<StreamReport> {
        p.kill('SIGTERM');
        await waitFor('the client report', () => out.includes('\n'), { timeoutMs: 15_000 });
        return JSON.parse(out) as StreamReport;
      },
    };
  };

  // 1. Planned stop of the VIP holder (systemd stop: SIGTERM): not one request lost by the balancer. A request in
  // flight at the very instant the VIP moves is reset by the new holder (its packets arrive where the connection
  // does not exist): that is the VIP move, not the stop, and is told apart by when it was sent and cut.
  let s = stream();
  await s.flowing();
  const firstProc = balancers.get(first)!;
  const arrival = watchVipArrival(second, vip);
  t.after(() => arrival.stop());
  const stopAt = Date.now();
  firstProc.proc.kill('SIGTERM');
  await waitFor(`${name(second)} holds the VIP`, () => keepalived.get(second)!.holdsVip(), { timeoutMs: 30_000 });
  await exited(firstProc);
  assert.equal(firstProc.proc.exitCode, 0, firstProc.out());
  let r = await s.stop();
  arrival.stop();
  const movedAt = arrival.addedAt();
  assert.ok(movedAt !== undefined, 'ip monitor saw the VIP arrive');
  const byMove = r.failures.filter((f) => cutByVipMove(f, movedAt));
  t.diagnostic(`planned stop: ${r.ok} ok, ${r.failed} failed (${byMove.length} in flight as the VIP moved, ${movedAt - stopAt} ms after SIGTERM), longest gap between successes ${r.longestGapMs} ms`);
  const byStop = r.failures.filter((f) => !cutByVipMove(f, movedAt));
  assert.deepEqual(byStop.map((f) => ({ ...f, msAfterSigterm: f.at - stopAt, msAfterVipMove: f.at - movedAt })), [], 'no request lost to the stop');
  // one request every 20 ms answered in a few: one, rarely two, can be open at one instant; more means the old holder
  // stalled its answers before the move, which this rule must not excuse
  assert.ok(byMove.length <= 2, `${byMove.length} requests open across the VIP move: ${JSON.stringify(byMove.map((f) => ({ ...f, msAfterVipMove: f.at - movedAt })))}`);
  assert.ok(r.ok > 50, `${r.ok} requests`);

  // 2. A pause while it is down; it comes back (snapshot), honours it, and the pair is whole (the VIP stays: nopreempt).
  await cli(web1, 'event', 'pause');
  await waitFor(`${name(second)} drains web-1`, async () => (await pool(second)).startsWith('web-1:drain'), { timeoutMs: 30_000 });
  startBalancer(first, name(first), second);
  await waitFor(`${name(first)} back: healthy, web-1 drained there too`, async () => (alive(first, name(first)), (await health(first)) === '200' && (await pool(first).catch(() => '')).startsWith('web-1:drain')), { timeoutMs: 60_000 });
  assert.ok(await keepalived.get(second)!.holdsVip(), `nopreempt: the VIP stays on ${name(second)}`);
  await cli(web1, 'event', 'resume');
  await waitFor('both whole again', async () => (await pool(lb1)) === whole && (await pool(lb2)) === whole, { timeoutMs: 30_000 });
  await waitFor(`${name(first)}'s keepalived back to BACKUP (its check passes again)`, () => /Entering BACKUP STATE/.test(keepalived.get(first)!.out().split(/\(VI_LB\) Entering FAULT STATE|\(VI_LB\) entering FAULT state/i).at(-1) ?? ''), { timeoutMs: 30_000 });

  // 3. Crash of the VIP holder (SIGKILL): served again within advert_int × 3 + fall × interval = 3 s + 2 s.
  s = stream();
  await s.flowing();
  const t0 = Date.now();
  balancers.get(second)!.proc.kill('SIGKILL');
  await waitFor(`${name(first)} holds the VIP again`, () => keepalived.get(first)!.holdsVip(), { timeoutMs: 30_000 });
  const movedMs = Date.now() - t0;
  await waitFor('served through lb-1', async () => (await client.run('curl', ['-sf', '-m', '2', `http://${vip}/`]).then(() => true, () => false)), { timeoutMs: 30_000 });
  r = await s.stop();
  const outage = r.failures.length ? r.failures.at(-1)!.at - r.failures[0]!.at : 0;
  t.diagnostic(`crash: VIP moved after ${movedMs} ms; ${r.failed} failed over ${outage} ms, longest gap between successes ${r.longestGapMs} ms`);
  assert.ok(r.longestGapMs <= 5000 + 2000, `service came back after ${r.longestGapMs} ms (keepalived's bound 5 s, with 2 s for a busy machine)`);
});
