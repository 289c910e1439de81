// roles.yml on disk: an edit is applied in place; an invalid edit is rejected with positions and the
// last good roles keep the pools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Controller } from '../../src/controller/controller.js';
import { ManualMemberSource } from '../../src/controller/manual-source.js';
import { loadRoles } from '../../src/controller/roles.js';
import { watchRoles } from '../../src/controller/roles-watch.js';
import { waitFor } from '../helpers/wait.js';
import { parseScrape } from '../helpers/prom-text.js';
import { MetricsHub } from '../../src/metrics/index.js';
import { registerControllerMetrics } from '../../src/controller/metrics.js';
import { startProxy } from '../proxy/fixtures.js';

test('roles.yml edited → pools follow; invalid roles.yml → old pools kept, error logged with position', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'roles-'));
  const file = join(dir, 'roles.yml');
  writeFileSync(file, 'roles:\n  web:\n    lb: [web]\n');
  const proxy = await startProxy('backends:\n  web: {}\n  api: {}\n');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
  const first = loadRoles(file);
  assert.ok(first.ok);
  const source = new ManualMemberSource('lb', [{ name: 'app-1', addr: '10.0.0.1', port: 7946, tags: { role: 'web' }, status: 'alive' }]);
  const ctl = new Controller(source, proxy.proxy, first.value, log, { resyncMs: 0 });
  const watcher = watchRoles(file, (r) => ctl.setRoles(r), log, loadRoles, () => ctl.stats.rolesRefused++);
  const hub = new MetricsHub({ processMetrics: false });
  registerControllerMetrics(hub, () => ctl);
  t.after(async () => {
    await watcher.close();
    await ctl.stop();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await ctl.start();
  await watcher.ready;
  const where = async () => Object.fromEntries((await proxy.proxy.snapshot()).map((b) => [b.name, b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.port}`).join()]));
  assert.deepEqual(await where(), { web: 'app-1:80', api: '' });

  writeFileSync(file, 'roles:\n  web:\n    lb: [api]\n    port: 8080\n');
  await waitFor('app-1 moved to api:8080', async () => JSON.stringify(await where()) === JSON.stringify({ web: '', api: 'app-1:8080' }));

  writeFileSync(file, 'roles:\n  web:\n    lb: [api]\n    weight: lots\n');
  await waitFor('rejection logged', () => lines.some((l) => l.includes(`roles rejected: ${file}:4:13: 'roles.web.weight'`)));
  assert.ok(lines.some((l) => l.startsWith('keeping the last good roles')));
  assert.deepEqual(await where(), { web: '', api: 'app-1:8080' });

  // The controller's families: one roles reload accepted, one refused; applies with their duration; nothing pending.
  const m = parseScrape(await hub.text());
  assert.equal(m.value('lbagent_controller_roles_reloads_total', { result: 'accepted' }), 1);
  assert.equal(m.value('lbagent_controller_roles_reloads_total', { result: 'refused' }), 1);
  assert.ok(m.value('lbagent_controller_applies_total', { result: 'ok' })! >= 3, 'web and api at start, then both again');
  assert.equal(m.value('lbagent_controller_applies_total', { result: 'error' }), 0);
  assert.equal(m.value('lbagent_controller_pending_servers', { proxy: 'api' }), 0);
  assert.equal(m.value('lbagent_controller_paused_members'), 0);
  assert.equal(m.value('lbagent_controller_apply_duration_seconds_count'), m.value('lbagent_controller_runs_total'));
});
