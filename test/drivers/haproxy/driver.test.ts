// The HAProxy driver against a real HAProxy (Debian's 2.6): pool changes reach HAProxy through its runtime API
// (checked with `show servers state` and with real requests through HAProxy), a restart is reconciled, refused
// commands carry HAProxy's message, and no reload ever happens (same PID, Uptime keeps growing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log/logger.js';
import { HaproxyDriver } from '../../../src/drivers/haproxy/driver.js';
import { HaproxyRefused, isLbaError } from '../../../src/errors/index.js';
import { parseServersState } from '../../../src/drivers/haproxy/state.js';
import { freePort } from '../../helpers/ports.js';
import { repoRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { needTool } from '../../helpers/tools.js';
import { startBackend } from '../../proxy/fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

async function setup(t: import('node:test').TestContext) {
  const names = ['static1', 'web-1', 'web-2', 'web-3'];
  const backends = await Promise.all(names.map((n) => startBackend(n, (req, res) => res.end(req.url === '/health' ? 'ok' : n))));
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const ports = Object.fromEntries(names.map((n, i) => [n, backends[i]!.port]));
  const dir = tempDir(t, 'lbagent-haproxy-');
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
  return { driver, ports, port, state, hits, info, hap: () => hap!, startHaproxy };
}

const spec = (name: string, port: number, extra: object = {}) => ({ name, addr: '127.0.0.1', port, check: { enabled: true }, ...extra });

test('join, pause, resume, weight, failed, leave and role change reach HAProxy with no reload', async (t) => {
  if (!needTool(t, 'haproxy')) return;
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
  await assert.rejects(driver.setServers('legacy', [spec('web-3', ports['web-3']!)]), (err: Error) => isLbaError(err, HaproxyRefused) && /dynamic load balancing/.test(err.message));
  // sanitised, stable names
  await driver.setServers('app', [spec('web-1', ports['web-1']!, { weight: 7 }), spec('web 3/new', ports['web-3']!)]);
  assert.ok((await state()).some((s) => s.name === 'web_3_new'));
  const snap = await driver.snapshot();
  assert.ok(snap.find((b) => b.name === 'app')!.servers.some((s) => s.name === 'static1' && s.reason === 'static server from haproxy.cfg'));
  const after = await info();
  assert.equal(after.pid, before.pid, 'same HAProxy process: no reload');
  assert.ok(after.uptime >= before.uptime, 'uptime kept growing');
});

test('after an HAProxy restart the pools are rebuilt within one resync period', async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const { driver, ports, state, hap, startHaproxy } = await setup(t);
  driver.start();
  await driver.setServers('app', [spec('web-1', ports['web-1']!), spec('web-2', ports['web-2']!)]);
  hap().kill('SIGKILL');
  await waitFor('haproxy gone', () => hap().exitCode !== null || hap().signalCode !== null);
  await startHaproxy();
  await waitFor('dynamic servers re-added by the reconcile', async () => (await state()).filter((s) => s.name.startsWith('web-')).length === 2, { timeoutMs: 20_000 });
});

test('a removed server drains its sessions for the grace time, then HAProxy cuts what is left and deletes it', async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const { driver, port, state } = await setup(t);
  // A server that starts a response and holds it until the test ends.
  const held: import('node:http').ServerResponse[] = [];
  const hold = await startBackend('hold', (req, res) => {
    if (req.url === '/health') return res.end('ok');
    res.writeHead(200, { 'content-length': '10' });
    res.write('12345');
    held.push(res);
  });
  t.after(() => {
    for (const r of held) r.destroy();
    return hold.close();
  });
  await driver.setServers('app', [spec('hold', hold.port)]);
  await waitFor('hold is UP in HAProxy', async () => (await state()).find((s) => s.name === 'hold')?.opState === 2);
  // Requests until one is held open at the server (round robin with the static server).
  const { request } = await import('node:http');
  let cut = false;
  let body = '';
  await waitFor('a request held open at the server', async () => {
    if (held.length) return true;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/hold' }, (res) => {
        let mine = '';
        res.on('data', (c) => {
          mine += c;
          if (held.length) body = mine; // the response of the held request (others came from the static server)
          resolve();
        });
        res.on('aborted', () => (cut = true));
        res.on('error', () => (cut = true));
        res.on('close', () => resolve());
      });
      req.on('error', () => {
        cut = true;
        resolve();
      });
      req.end();
    });
    return held.length > 0;
  });
  // The removal goes on in the background: drain, wait for sessions up to the grace time (2 s here), cut.
  const started = Date.now();
  assert.deepEqual((await driver.setServers('app', [])).removed, ['hold']);
  await waitFor('hold drains (no new traffic) while its session lives', async () => ((await state()).find((s) => s.name === 'hold')?.adminState ?? 0) & 0x08);
  assert.equal(cut, false, 'the in-flight response is not cut at once');
  await waitFor('the held response cut by shutdown sessions at the end of the grace time', () => cut);
  assert.ok(Date.now() - started >= 2000 - 100, `cut after the grace time, not before (${Date.now() - started} ms)`);
  assert.equal(body, '12345');
  await waitFor('deleted from HAProxy', async () => !(await state()).some((s) => s.name === 'hold'));
});
