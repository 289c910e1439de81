// Continuous load through a real proxy while the controller moves real app-server processes in and out:
// pause (drain: no new requests, in-flight ones finish), resume, leave (drained, then removed) must cost zero
// failed requests; a SIGKILLed server may cost the requests sent to it before it is detected (counted).
// Members come through the MemberSource seam (ManualMemberSource) until the gossip node is in this build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent } from 'node:http';
import { Controller } from '../../src/controller/controller.js';
import { ManualMemberSource } from '../../src/controller/manual-source.js';
import { parseRoles } from '../../src/controller/roles.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { startProxy } from '../proxy/fixtures.js';

/** One request: whether it succeeded, who served it, when it was sent and when it was done. */
interface Result { ok: boolean; by?: string; sent: number; at: number }

function get(port: number, agent: Agent, path = '/'): Promise<Result> {
  const sent = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, by: res.headers['x-served-by'] as string | undefined, sent, at: Date.now() }));
      res.on('error', () => resolve({ ok: false, sent, at: Date.now() }));
    });
    req.on('error', () => resolve({ ok: false, sent, at: Date.now() }));
    req.setTimeout(10_000, () => req.destroy());
    req.end();
  });
}

test('continuous load: pause, resume, leave without a failed request; SIGKILL costs only undetected ones', { timeout: 120_000 }, async (t) => {
  const names = ['web-01', 'web-02', 'web-03'];
  const ports = [await freePort(), await freePort(), await freePort()];
  const apps: ChildProcess[] = names.map((n, i) => spawn(process.execPath, [lbagentBin, 'demo', '--app', n, '--port', String(ports[i])], { stdio: 'ignore' }));
  t.after(() => {
    for (const a of apps) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
  });
  const proxy = await startProxy(`
frontends:
  main: { bind: 127.0.0.1:0, default_backend: web }
backends:
  web: { balance: roundrobin, retries: 2, redispatch: true, grace: 15s, timeout: { check: 10s } }
`);
  // Checks every 200 ms with fall 1 find the SIGKILLed server fast (refused at once). `timeout check` would default
  // to the interval, and the proxy, its checks and the clients all share this process's event loop: on a busy
  // machine a stall past 200 ms fires a check's timer before the answer that arrived is read, and one false
  // timeout takes a healthy server out (failed requests where the test allows none). 10 s: no stall reaches it.
  const source = new ManualMemberSource('lb-1');
  const roles = parseRoles('roles.yml', 'roles:\n  web: { lb: [web], check: { interval: 200ms, rise: 1, fall: 1 } }\n');
  assert.ok(roles.ok);
  const ctl = new Controller(source, proxy.proxy, roles.value, silentLogger, { resyncMs: 0, leaveGraceMs: 1500, failedGraceMs: 2000 });
  t.after(async () => {
    await ctl.stop();
    await proxy.stop();
  });
  await ctl.start();
  for (const p of ports) await waitFor(`app on ${p}`, () => get(p, new Agent()).then((r) => r.ok));
  source.upsert(...names.map((name, i) => ({ name, addr: '127.0.0.1', port: 7946, tags: { role: 'web', port: String(ports[i]) }, status: 'alive' as const })));
  const fport = proxy.port('main');
  const served = async () => {
    const s = new Set<string>();
    for (let i = 0; i < 9; i++) s.add((await get(fport, new Agent())).by ?? 'error');
    return s;
  };
  await waitFor('all three in rotation', async () => (await served()).size === 3);

  // Slow requests in flight on every server (round robin), before the load starts.
  const slowAgent = new Agent();
  const slow = [0, 1, 2].map(() => get(fport, slowAgent, '/?delay=2000'));
  await waitFor('a slow request in flight on web-01', async () => ((await proxy.proxy.snapshot())[0]!.servers.find((s) => s.name === 'web-01')?.sessions.current ?? 0) > 0);

  // Four clients with keep-alive, in a loop until told to stop.
  const results: Result[] = [];
  let running = true;
  t.after(() => {
    running = false;
  });
  const clients = Array.from({ length: 4 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (running) results.push(await get(fport, agent));
    agent.destroy();
  });
  const failuresSince = (from: number) => results.filter((r) => r.at >= from && !r.ok).length;
  /** Requests sent after `from` and done. */
  const sentSince = (from: number) => results.filter((r) => r.sent > from);
  // Waits for the load to get somewhere go on while requests keep completing, at whatever pace the machine allows.
  const flowing = { progress: () => results.length };
  const start = Date.now();

  source.userEvent('pause', 'web-01 127.0.0.1 web');
  await waitFor('web-01 drained', async () => (await proxy.proxy.snapshot())[0]!.servers.find((s) => s.name === 'web-01')?.admin === 'drain');
  const pausedAt = Date.now();
  const inflight = await Promise.all(slow);
  assert.ok(inflight.some((r) => r.ok && r.by === 'web-01'), `the in-flight request on the paused server completes: ${JSON.stringify(inflight)}`);
  assert.ok(inflight.every((r) => r.ok));
  // Judged by when each request was sent, not when it finished: one sent to web-01 just before the drain may
  // finish any time later on a busy machine, and is no fault.
  await waitFor('load flows a while', () => sentSince(pausedAt).length > 50, flowing);
  assert.deepEqual(sentSince(pausedAt).filter((r) => r.by === 'web-01'), [], 'no new request reaches a paused server');

  source.userEvent('resume', 'web-01');
  const resumedAt = Date.now();
  await waitFor('web-01 serves again', () => sentSince(resumedAt).some((r) => r.by === 'web-01'), flowing);

  source.setStatus('web-02', 'leaving');
  const leavingAt = Date.now();
  await waitFor('web-02 removed after leave grace', async () => !(await proxy.proxy.snapshot())[0]!.servers.some((s) => s.name === 'web-02' && !s.removing));
  await waitFor('load flows through the leave', () => sentSince(leavingAt).length > 50, flowing);
  apps[1]!.kill('SIGTERM');
  const beforeKill = Date.now();
  assert.equal(failuresSince(start), 0, `failed requests during pause/resume/leave: ${failuresSince(start)}`);

  apps[2]!.kill('SIGKILL');
  await waitFor('web-03 DOWN by health check', async () => (await proxy.proxy.snapshot())[0]!.servers.find((s) => s.name === 'web-03')?.status === 'DOWN');
  const downAt = Date.now();
  source.setStatus('web-03', 'failed');
  // Once web-03 is seen DOWN (web-02 gone), every request sent is web-01's, and none fails.
  await waitFor('load flows after web-03 is DOWN', () => sentSince(downAt).length > 50, flowing);
  running = false;
  await Promise.all(clients);
  const afterDown = sentSince(downAt);
  assert.deepEqual(afterDown.filter((r) => !r.ok || r.by !== 'web-01'), [], `of ${afterDown.length} requests sent after web-03 was DOWN, some failed or were not web-01's`);
  const killFailures = failuresSince(beforeKill);
  console.log(`# continuous load: ${results.length} requests, ${killFailures} failed after SIGKILL of web-03 (retries+redispatch on), 0 during pause/resume/leave`);
});
