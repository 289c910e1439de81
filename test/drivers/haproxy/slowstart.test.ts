// slowstart through the HAProxy driver, against a real HAProxy (Debian's 2.6): servers lbagent adds carry their
// own slowstart or the backend's from lbagent.yml (HAProxy's `add server` ignores `default-server`), HAProxy ramps
// them (op state 1 "starting" in `show servers state`, `weight` below `uweight` in `show stat`), and the driver's
// snapshot shows both weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log/logger.js';
import { HaproxyDriver } from '../../../src/drivers/haproxy/driver.js';
import { parseServersState, parseStat } from '../../../src/drivers/haproxy/state.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait.js';
import { needTool } from '../../helpers/tools.js';
import { startBackend } from '../../proxy/fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

test('HAProxy: added servers slow-start with their own slowstart or the backend one; 0 runs at full speed', async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const apps = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
  t.after(() => Promise.all(apps.map((b) => b.close())));
  const dir = tempDir(t, 'lbagent-haproxy-slowstart-');
  const socket = join(dir, 'admin.sock');
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global',
    `  stats socket ${socket} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    '',
  ].join('\n'));
  const hap = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  t.after(() => hap.kill('SIGKILL'));
  const driver = new HaproxyDriver({ socket, haproxyConfig: cfg, backends: { app: { slowstart: 120_000 } } }, silentLogger);
  t.after(() => driver.stop());
  await waitFor('haproxy runtime API', () => driver.backends().then((b) => b.includes('app'), () => false));

  const [a, b, c] = apps.map((x) => x.port);
  await driver.setServers('app', [
    { name: 'a', addr: '127.0.0.1', port: a!, weight: 100, slowstart: 60_000 },
    { name: 'b', addr: '127.0.0.1', port: b!, weight: 100 },
    { name: 'c', addr: '127.0.0.1', port: c!, weight: 100, slowstart: 0 },
  ]);
  const states = parseServersState(await driver.api.raw('show servers state app'));
  const op = (n: string) => states.find((s) => s.name === n)!.opState;
  // 1 = SRV_ST_STARTING (slow start), 2 = SRV_ST_RUNNING
  assert.equal(op('a'), 1, 'a slow-starts');
  assert.equal(op('b'), 1, "b slow-starts with the backend's slowstart from lbagent.yml");
  assert.equal(op('c'), 2, 'c has slowstart 0: full speed at once');
  const stat = parseStat(await driver.api.raw('show stat')).filter((r) => r.pxname === 'app');
  const row = (n: string) => stat.find((r) => r.svname === n)!;
  assert.equal(row('a').uweight, '100');
  assert.ok(Number(row('a').weight) < 50, `a's effective weight is low at first: ${row('a').weight}`);
  assert.ok(Number(row('b').weight) < 50, `b's too: ${row('b').weight}`);
  assert.equal(row('c').weight, '100');
  // the snapshot (lbagent servers, the admin API) has the set weight and, while it ramps, the effective one
  const snap = (await driver.snapshot()).find((x) => x.name === 'app')!.servers;
  const view = (n: string) => snap.find((s) => s.name === n)!;
  assert.equal(view('a').weight, 100);
  assert.ok(view('a').eweight !== undefined && view('a').eweight! < 50);
  assert.equal(view('c').eweight, undefined);
  // a reconcile does not take a ramping weight for a changed one (show servers state has the set weight)
  assert.deepEqual(await driver.setServers('app', [
    { name: 'a', addr: '127.0.0.1', port: a!, weight: 100, slowstart: 60_000 },
    { name: 'b', addr: '127.0.0.1', port: b!, weight: 100 },
    { name: 'c', addr: '127.0.0.1', port: c!, weight: 100, slowstart: 0 },
  ]), { added: [], removed: [], changed: [] });
  // the warming servers do get traffic, less than the warm one
  const seen: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    const who = body.split(' ')[0]!;
    seen[who] = (seen[who] ?? 0) + 1;
  }
  assert.ok((seen.c ?? 0) > (seen.a ?? 0) && (seen.c ?? 0) > (seen.b ?? 0), JSON.stringify(seen));
});
