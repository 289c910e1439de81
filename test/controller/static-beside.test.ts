// Static and discovered servers side by side, on both data planes: a backend that lists a server of its own also
// takes the servers of a role (at the backend's port), and the controller never removes the static one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Controller } from '../../src/controller/controller.js';
import { ManualMemberSource } from '../../src/controller/manual-source.js';
import type { PoolDriver } from '../../src/interfaces/pool-driver.js';
import { waitFor } from '../helpers/wait.js';
import { silentLogger } from '../../src/log/logger.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { startDataPlane as startWorkers } from '../../src/proxy/data-plane.js';
import { freePort } from '../helpers/ports.js';
import { resolveModel } from '../../src/proxy/model/index.js';
import { rawRequest, startBackend, startProxy } from '../proxy/fixtures.js';
import { DATA_PLANES, startDataPlane } from './data-planes.js';
import { roles, get } from './fixtures.js';



async function mixed(driver: PoolDriver): Promise<string[]> {
  const b = (await driver.snapshot()).find((x) => x.name === 'mixed');
  return (b?.servers ?? []).filter((s) => !s.removing).map((s) => `${s.name}@${s.port}:${s.admin}`).sort();
}

for (const kind of DATA_PLANES) {
  test(`[${kind}] a backend's static server stays beside the servers of a role, which take the backend's port`, async (t) => {
    const fixed = await startBackend('static-1');
    const app = await startBackend('iis-01');
    t.after(() => Promise.all([fixed.close(), app.close()]));
    const plane = await startDataPlane(t, kind, { staticPort: fixed.port });
    if (!plane) return;
    const source = new ManualMemberSource('lb-1');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
    // the serf handler's role.yml: no port anywhere but the backend's
    const ctl = new Controller(source, plane.driver, roles('iis:\n  lb: mixed\n  monitor: none\n  interval: 1\n'), log, {
      leaveGraceMs: 200, resyncMs: 0, backendPorts: new Map([['mixed', app.port]]),
    });
    t.after(async () => {
      await ctl.stop();
      await plane.stop();
    });
    await ctl.start();
    assert.deepEqual(await mixed(plane.driver), [`static-1@${fixed.port}:ready`], 'roles with no member leave the static server');
    const why = (await plane.driver.snapshot()).find((b) => b.name === 'mixed')!.servers[0]!.reason;
    assert.equal(why, `static server from ${kind === 'builtin' ? 'lbagent.yml' : 'haproxy.cfg'}`, '`lbagent servers` says why');

    source.upsert({ name: 'iis-01', addr: '127.0.0.1', port: 7946, tags: { role: 'iis' }, status: 'alive' });
    const both = [`iis-01@${app.port}:ready`, `static-1@${fixed.port}:ready`];
    await waitFor('the member beside the static server', async () => JSON.stringify(await mixed(plane.driver)) === JSON.stringify(both));
    const seen = new Set<string>();
    await waitFor('traffic to both', async () => {
      seen.add((await get(plane.sidePort!)).split(' ')[0]!);
      return seen.size === 2;
    }, { timeoutMs: 20_000 });
    assert.deepEqual([...seen].sort(), ['iis-01', 'static-1']);

    // a member named like the static server: the static one keeps its name and address
    source.upsert({ name: 'static-1', addr: '127.0.0.1', port: 7946, tags: { role: 'iis', port: String(app.port) }, status: 'alive' });
    await ctl.reconcileNow();
    assert.deepEqual(await mixed(plane.driver), both);

    // the member leaves: its server goes, the static one stays; a forced re-apply changes nothing
    source.setStatus('iis-01', 'left');
    source.remove('static-1');
    await waitFor('the member removed after leave_grace', async () => JSON.stringify(await mixed(plane.driver)) === JSON.stringify([`static-1@${fixed.port}:ready`]));
    ctl.resync();
    await ctl.reconcileNow();
    assert.deepEqual(await mixed(plane.driver), [`static-1@${fixed.port}:ready`]);
    assert.equal((await get(plane.sidePort!)).split(' ')[0], 'static-1');
    assert.ok(lines.includes(`mixed: +iis-01 127.0.0.1:${app.port} (join)`), lines.join('\n'));
  });
}

test('[builtin] a reload of lbagent.yml keeps the servers from roles (same runtime, no churn); the static ones follow the file', async (t) => {
  const yaml = (extra: string) => `
listen:
  mixed: { bind: "127.0.0.1:0", servers: [{ name: static-1, addr: "127.0.0.1:9001" }${extra}] }
`;
  const lb = await startProxy(yaml(''));
  t.after(() => lb.stop());
  await lb.proxy.setServers('mixed', [{ name: 'iis-01', addr: '127.0.0.1', port: 9100, state: 'drain' }], { keepStatic: true });
  const before = lb.proxy.backend('mixed').servers.get('iis-01');
  const next = parseMainConfig('test.yml', yaml(', { name: static-2, addr: "127.0.0.1:9002" }'));
  assert.ok(next.ok);
  await lb.proxy.reload(resolveModel(next.value));
  const be = lb.proxy.backend('mixed');
  assert.deepEqual([...be.servers.keys()].sort(), ['iis-01', 'static-1', 'static-2']);
  assert.equal(be.servers.get('iis-01'), before, 'the same server, not removed and added again');
  assert.equal(be.servers.get('iis-01')!.admin, 'drain', 'its state kept');
  assert.equal(be.removing.size, 0);
  // the admin API's PUT still replaces the whole list, static servers included (its documented meaning), until
  // the next reload
  const put = await lb.proxy.setServers('mixed', [{ name: 'x', addr: '127.0.0.1', port: 9200 }]);
  assert.deepEqual({ ...put, removed: put.removed.sort() }, { added: ['x'], removed: ['iis-01', 'static-1', 'static-2'], changed: [] });
  await lb.proxy.reload(resolveModel(next.value));
  assert.deepEqual([...be.servers.keys()].sort(), ['static-1', 'static-2']);
});

test('[builtin, 2 workers] the servers from roles beside a static one reach every worker, and are served right after a reload', async (t) => {
  const fixed = await startBackend('static-1');
  const app = await startBackend('iis-01');
  t.after(() => Promise.all([fixed.close(), app.close()]));
  const [port, admin] = [await freePort(), await freePort()];
  const text = (more = '') => `
global: { workers: 2 }
admin: { bind: "127.0.0.1:${admin}" }
frontends:
  side: { bind: "127.0.0.1:${port}", default_backend: mixed }
${more}
backends:
  mixed: { servers: [{ name: static-1, addr: "127.0.0.1:${fixed.port}" }] }
`;
  const parsed = parseMainConfig('lbagent.yml', text());
  assert.ok(parsed.ok);
  const lb = await startWorkers(parsed.value, silentLogger);
  t.after(() => lb.stop(0));
  await lb.driver.setServers('mixed', [{ name: 'iis-01', addr: '127.0.0.1', port: app.port }], { keepStatic: true });
  const served = async (n: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add((await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).body.split(' ')[0]!);
    return [...seen].sort();
  };
  await waitFor('both served', async () => (await served(10)).length === 2, { timeoutMs: 30_000 });
  const next = parseMainConfig('lbagent.yml', text(`  other: { bind: "127.0.0.1:${await freePort()}", default_backend: mixed }`));
  assert.ok(next.ok);
  await lb.reload(next.value);
  // right after the reload, with no controller to re-apply anything: every worker still has both
  assert.deepEqual(await served(20), ['iis-01', 'static-1']);
  const view = (await lb.driver.snapshot()).find((b) => b.name === 'mixed')!;
  assert.deepEqual(view.servers.map((s) => `${s.name}${s.removing ? ' removing' : ''}`).sort(), ['iis-01', 'static-1']);
});
