// The HAProxy driver against a real HAProxy (Debian's 2.6): pool changes reach HAProxy through its runtime API
// (checked with `show servers state` and with real requests through HAProxy), a restart is reconciled, refused
// commands carry HAProxy's message, and no reload ever happens (same PID, Uptime keeps growing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log/logger.js';
import { HaproxyDriver } from '../../../src/drivers/haproxy/driver.js';
import { RefusedError } from '../../../src/drivers/haproxy/runtime-api.js';
import { parseServersState } from '../../../src/drivers/haproxy/state.js';
import { freePort } from '../../helpers/ports.js';
import { repoRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { startBackend } from '../../proxy/fixtures.js';

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;

async function setup(t: import('node:test').TestContext) {
  const names = ['static1', 'web-1', 'web-2', 'web-3'];
  const backends = await Promise.all(names.map((n) => startBackend(n, (req, res) => res.end(req.url === '/health' ? 'ok' : n))));
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const ports = Object.fromEntries(names.map((n, i) => [n, backends[i]!.port]));
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-haproxy-'));
  const socket = join(dir, 'admin.sock');
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  // The shipped example, with this test's socket and ports.
  writeFileSync(cfg, readFileSync(join(repoRoot, 'examples', 'haproxy', 'haproxy.cfg'), 'utf8'));
  const env = { ...process.env, LBAGENT_HAPROXY_SOCKET: socket, LBAGENT_HAPROXY_PORT: String(port), LBAGENT_HAPROXY_STATIC_PORT: String(ports.static1) };
  let hap: ChildProcess | undefined;
  const startHaproxy = async () => {
    hap = spawn('haproxy', ['-db', '-f', cfg], { env, stdio: 'ignore' });
    await waitFor('haproxy up', async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok).catch(() => false)), { timeoutMs: 20_000 });
  };
  await startHaproxy();
  t.after(() => hap?.kill('SIGKILL'));
  const driver = new HaproxyDriver({ socket, haproxyConfig: cfg, resyncMs: 300, graceMs: 2000, check: { inter: 200, rise: 1, fall: 1 } }, silentLogger);
  t.after(() => driver.stop());
  const state = async () => parseServersState(await driver.api.raw('show servers state app'));
  const hits = async (n = 12) => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const body = await (await fetch(`http://127.0.0.1:${port}/x`)).text();
      seen[body] = (seen[body] ?? 0) + 1;
    }
    return seen;
  };
  const info = async () => {
    const text = await driver.api.raw('show info');
    return { pid: /^Pid: (\d+)/m.exec(text)?.[1], uptime: Number(/^Uptime_sec: (\d+)/m.exec(text)?.[1]) };
  };
  return { driver, ports, state, hits, info, hap: () => hap!, startHaproxy };
}

const spec = (name: string, port: number, extra: object = {}) => ({ name, addr: '127.0.0.1', port, check: { enabled: true }, ...extra });

test('join, pause, resume, weight, failed, leave and role change reach HAProxy with no reload', { skip: !haveHaproxy && 'haproxy is not installed (apt-get install haproxy)' }, async (t) => {
  const { driver, ports, state, hits, info } = await setup(t);
  const before = await info();
  // join: dynamic servers, health-checked, then in rotation with the static one.
  await driver.setServers('app', [spec('web-1', ports['web-1']!), spec('web-2', ports['web-2']!)]);
  assert.deepEqual((await state()).map((s) => s.name).sort(), ['static1', 'web-1', 'web-2']);
  await waitFor('both serve', async () => {
    const h = await hits();
    return h['web-1'] && h['web-2'] && h.static1;
  });
  // pause → drain: no new requests; resume → ready.
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { state: 'drain' }), spec('web-2', ports['web-2']!)]);
  assert.equal((await state()).find((s) => s.name === 'web-1')!.adminState & 0x08, 0x08);
  assert.equal((await hits())['web-1'], undefined);
  await driver.setServers('app', [spec('web-1', ports['web-1']!), spec('web-2', ports['web-2']!)]);
  await waitFor('web-1 back', async () => (await hits())['web-1']);
  // weight
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { weight: 7 }), spec('web-2', ports['web-2']!)]);
  assert.equal((await state()).find((s) => s.name === 'web-1')!.weight, 7);
  // failed → maint at once
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { weight: 7 }), spec('web-2', ports['web-2']!, { state: 'maint' })]);
  assert.equal((await hits(9))['web-2'], undefined);
  // leave: drained then deleted
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { weight: 7 })]);
  await waitFor('web-2 deleted', async () => !(await state()).some((s) => s.name === 'web-2'));
  // role change: the member moves to another backend (legacy is static-rr: HAProxy refuses dynamic servers there).
  await assert.rejects(driver.setServers('legacy', [spec('web-3', ports['web-3']!)]), (err: Error) => err instanceof RefusedError && /dynamic load balancing/.test(err.message));
  // sanitised, stable names
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { weight: 7 }), spec('web 3/new', ports['web-3']!)]);
  assert.ok((await state()).some((s) => s.name === 'web_3_new'));
  const snap = await driver.snapshot();
  assert.ok(snap.find((b) => b.name === 'app')!.servers.some((s) => s.name === 'static1' && s.reason === 'static server from haproxy.cfg'));
  const after = await info();
  assert.equal(after.pid, before.pid, 'same HAProxy process: no reload');
  assert.ok(after.uptime >= before.uptime, 'uptime kept growing');
});

test('after an HAProxy restart the pools are rebuilt within one resync period', { skip: !haveHaproxy && 'haproxy is not installed' }, async (t) => {
  const { driver, ports, state, hap, startHaproxy } = await setup(t);
  driver.start();
  await driver.setServers('app', [spec('web-1', ports['web-1']!), spec('web-2', ports['web-2']!)]);
  hap().kill('SIGKILL');
  await waitFor('haproxy gone', () => hap().exitCode !== null || hap().signalCode !== null);
  await startHaproxy();
  await waitFor('dynamic servers re-added by the reconcile', async () => (await state()).filter((s) => s.name.startsWith('web-')).length === 2, { timeoutMs: 20_000 });
});
