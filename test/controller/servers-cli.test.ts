// `lbagent servers` reads a real balancer's admin API and shows why each server is in its state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseMainConfig } from '../../src/main-config/main.js';
import { Controller } from '../../src/controller/controller.js';
import { ManualMemberSource } from '../../src/controller/manual-source.js';
import { parseRoles } from '../../src/controller/roles.js';
import { silentLogger } from '../../src/log/logger.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

test('lbagent servers / pools: live pools with reasons, text and json', async (t) => {
  const cfg = parseMainConfig('lb.yml', 'frontends:\n  main: { bind: 127.0.0.1:0, default_backend: web }\nbackends:\n  web: {}\nadmin: { bind: 127.0.0.1:0 }\n');
  assert.ok(cfg.ok);
  const handle = await startDataPlane(cfg.value, silentLogger);
  const source = new ManualMemberSource('lb-1');
  const roles = parseRoles('roles.yml', 'roles:\n  web: { lb: [web], port: 8080, check: { enabled: false } }\n');
  assert.ok(roles.ok);
  const ctl = new Controller(source, handle.driver, roles.value, silentLogger, { resyncMs: 0 });
  t.after(async () => {
    await ctl.stop();
    await handle.stop(0);
  });
  await ctl.start();
  source.upsert(
    { name: 'web-01', addr: '127.0.0.1', port: 7946, tags: { role: 'web' }, status: 'alive' },
    { name: 'web-02', addr: '127.0.0.2', port: 7946, tags: { role: 'web' }, status: 'alive' },
  );
  source.userEvent('pause', 'web-02 127.0.0.2 web');
  await waitFor('web-02 drained', async () => (await handle.driver.snapshot())[0]?.servers.find((s) => s.name === 'web-02')?.admin === 'drain');

  const admin = `http://127.0.0.1:${handle.admin.port}`;
  const text = (await run(process.execPath, [lbagentBin, 'pools', '--admin', admin])).stdout;
  assert.match(text, /^web \(2 servers\)$/m);
  assert.match(text, /web-01\s+127\.0\.0\.1:8080\s+no check\s+ready\s+1\s+0\/0\s+role web; member alive/);
  assert.match(text, /web-02\s+127\.0\.0\.2:8080\s+DRAIN\s+drain .*paused by user event 'pause' \(ltime 1\)/);
  const json = JSON.parse((await run(process.execPath, [lbagentBin, 'servers', '--admin', admin, '--format', 'json'])).stdout);
  assert.deepEqual(json[0].servers.map((s: { name: string }) => s.name).sort(), ['web-01', 'web-02']);

  await assert.rejects(run(process.execPath, [lbagentBin, 'servers', '--admin', 'http://127.0.0.1:1']), (e: { code: number; stderr: string }) => e.code === 1 && /cannot read the pools/.test(e.stderr));
});
