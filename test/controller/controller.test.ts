// The controller's table of scenarios, fed through the MemberSource seam, against each data plane: the built-in
// proxy and a real HAProxy through its driver (data-planes.ts), with real HTTP servers behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller } from '../../src/controller/controller.js';
import { ManualMemberSource } from '../../src/controller/manual-source.js';
import type { PoolDriver, ServerSpec, SetServersOptions } from '../../src/interfaces/pool-driver.js';
import pino from 'pino';
import { silentLogger } from '../../src/log/logger.js';
import { waitFor } from '../helpers/wait.js';
import { startBackend } from '../proxy/fixtures.js';
import { DATA_PLANES, startDataPlane } from './data-planes.js';
import { roles, get } from './fixtures.js';



/** Counts setServers calls and the most that ran at the same time, around a real driver. */
function counting(driver: PoolDriver) {
  const c = { calls: 0, running: 0, maxRunning: 0 };
  const wrapped: PoolDriver = {
    kind: driver.kind,
    backends: () => driver.backends(),
    setState: (b, s, st) => driver.setState(b, s, st),
    setWeight: (b, s, w) => driver.setWeight(b, s, w),
    snapshot: () => driver.snapshot(),
    async setServers(b: string, list: ServerSpec[], opts?: SetServersOptions) {
      c.calls++;
      c.running++;
      c.maxRunning = Math.max(c.maxRunning, c.running);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await driver.setServers(b, list, opts);
      } finally {
        c.running--;
      }
    },
  };
  return { driver: wrapped, c };
}

async function pools(driver: PoolDriver): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const b of await driver.snapshot()) out[b.name] = b.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}`).sort();
  return out;
}

for (const kind of DATA_PLANES) {
  test(`[${kind}] controller: joins, pause/resume, failure, leave and roles changes reach the data plane`, async (t) => {
    const apps = await Promise.all(['web-01', 'web-02', 'api-01'].map((n) => startBackend(n)));
    const plane = await startDataPlane(t, kind);
    if (!plane) return;
    const source = new ManualMemberSource('lb-1');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
    const ctl = new Controller(source, plane.driver, roles('roles:\n  web: { lb: [web] }\n  api: { lb: [api] }\n'), log, {
      failedGraceMs: 300, leaveGraceMs: 300, resyncMs: 0,
    });
    t.after(async () => {
      await ctl.stop();
      await plane.stop();
      await Promise.all(apps.map((a) => a.close()));
    });
    await ctl.start();

    const member = (i: number, role: string) => ({ name: ['web-01', 'web-02', 'api-01'][i]!, addr: '127.0.0.1', port: 7946, tags: { role, port: String(apps[i]!.port) }, status: 'alive' as const });
    source.upsert(member(0, 'web'), member(1, 'web'), member(2, 'api'), { name: 'lb-1', addr: '127.0.0.1', port: 1, tags: { role: 'lb' }, status: 'alive' });
    await waitFor('three servers', async () => JSON.stringify(await pools(plane.driver)) === JSON.stringify({ web: ['web-01:ready', 'web-02:ready'], api: ['api-01:ready'] }));
    const port = plane.port;
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(port)).split(' ')[0]!);
    assert.deepEqual([...seen].sort(), ['web-01', 'web-02']);
    assert.ok(lines.some((l) => l === `web: +web-01 127.0.0.1:${apps[0]!.port} (join)`), lines.join('\n'));

    source.userEvent('pause', `web-01 127.0.0.1 web`);
    await waitFor('web-01 drained', async () => (await pools(plane.driver)).web?.includes('web-01:drain'));
    for (let i = 0; i < 4; i++) assert.equal((await get(port)).split(' ')[0], 'web-02');
    assert.ok(lines.includes('web: ~web-01 drain (pause)'), lines.join('\n'));

    // an older pause replayed after the resume changes nothing
    source.userEvent('resume', 'web-01');
    source.userEvent('pause', 'web-01', { ltime: 1, replayed: true });
    await waitFor('web-01 ready again', async () => (await pools(plane.driver)).web?.includes('web-01:ready'));
    assert.ok(lines.includes('web: ~web-01 ready (resume)'), lines.join('\n'));

    // maintenance by a name in another case (Windows' %COMPUTERNAME%): it applies to the one member it names
    source.userEvent('pause', 'WEB-01 127.0.0.1 web');
    await waitFor('web-01 drained by its upper-case name', async () => (await pools(plane.driver)).web?.includes('web-01:drain'));
    assert.ok(lines.some((l) => /^pause WEB-01 \(ltime \d+\): applies to member web-01 \(names compared ignoring case\)$/.test(l)), lines.join('\n'));
    source.userEvent('resume', 'Web-01');
    await waitFor('web-01 resumed by another spelling', async () => (await pools(plane.driver)).web?.includes('web-01:ready'));
    // a name that matches no member: said with the names that were close, nothing paused
    source.userEvent('pause', 'web-1 127.0.0.1 web');
    await waitFor('the warning for an unknown name', () => lines.some((l) => /^pause web-1 \(ltime \d+\): no member is named web-1; close names: web-01, /.test(l)));
    assert.deepEqual((await pools(plane.driver)).web, ['web-01:ready', 'web-02:ready']);

    source.setStatus('web-02', 'failed');
    await waitFor('web-02 in maint', async () => (await pools(plane.driver)).web?.includes('web-02:maint'));
    await waitFor('web-02 removed after failed_grace', async () => !(await pools(plane.driver)).web?.some((s) => s.startsWith('web-02')));
    assert.ok(lines.includes('web: -web-02 (failed)'), lines.join('\n'));

    // role change: api-01 now serves web
    source.upsert(member(2, 'web'));
    await waitFor('api-01 moved to web', async () => {
      const p = await pools(plane.driver);
      return p.web?.includes('api-01:ready') && p.api?.length === 0;
    });

    // roles.yml change: web members now also in api
    ctl.setRoles(roles('roles:\n  web: { lb: [web, api] }\n'));
    await waitFor('web members in api too', async () => (await pools(plane.driver)).api?.join() === 'api-01:ready,web-01:ready');

    source.setStatus('web-01', 'leaving');
    await waitFor('web-01 draining on leave', async () => (await pools(plane.driver)).web?.includes('web-01:drain'));
    await waitFor('web-01 removed after leave grace', async () => !(await pools(plane.driver)).web?.some((s) => s.startsWith('web-01')));
    assert.ok(lines.includes('web: -web-01 (leave)'), lines.join('\n'));
  });

  test(`[${kind}] controller: a burst of 200 joins is applied a handful of times, never two at once`, async (t) => {
    const plane = await startDataPlane(t, kind);
    if (!plane) return;
    const { driver, c } = counting(plane.driver);
    const source = new ManualMemberSource('lb-1');
    const ctl = new Controller(source, driver, roles('roles:\n  web: { lb: [web] }\n'), silentLogger, { resyncMs: 0 });
    t.after(async () => {
      await ctl.stop();
      await plane.stop();
    });
    await ctl.start();
    const before = c.calls;
    for (let i = 0; i < 200; i++) {
      source.upsert({ name: `n-${String(i).padStart(3, '0')}`, addr: `10.1.${i >> 8}.${i & 255}`, port: 7946, tags: { role: 'web' }, status: 'alive' });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 100)); // spread over ~1 s
    }
    await waitFor('200 servers', async () => (await plane.driver.snapshot()).find((b) => b.name === 'web')?.servers.length === 200);
    await ctl.idle();
    const applications = c.calls - before;
    assert.ok(applications >= 1 && applications <= 10, `${applications} applications for 200 joins`);
    assert.equal(c.maxRunning, 1);
  });

  test(`[${kind}] controller: unknown roles are ignored and logged once; unknown backends too`, async (t) => {
    const plane = await startDataPlane(t, kind);
    if (!plane) return;
    const source = new ManualMemberSource('lb-1');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
    const ctl = new Controller(source, plane.driver, roles('roles:\n  web: { lb: [web, nope] }\n'), log, { resyncMs: 0 });
    t.after(async () => {
      await ctl.stop();
      await plane.stop();
    });
    await ctl.start();
    source.upsert({ name: 'db-1', addr: '10.0.0.9', port: 1, tags: { role: 'db' }, status: 'alive' });
    await ctl.reconcileNow();
    source.upsert({ name: 'db-2', addr: '10.0.0.8', port: 1, tags: { role: 'db' }, status: 'alive' });
    await ctl.reconcileNow();
    assert.equal(lines.filter((l) => l.includes("role 'db'")).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes("backend 'nope'")).length, 1, lines.join('\n'));
    assert.deepEqual((await plane.driver.snapshot()).find((b) => b.name === 'web')?.servers, []);
  });

  test(`[${kind}] controller: resync repairs drift made behind its back, without logging a change`, async (t) => {
    const plane = await startDataPlane(t, kind);
    if (!plane) return;
    const source = new ManualMemberSource('lb-1', [{ name: 'w1', addr: '127.0.0.1', port: 1, tags: { role: 'web', port: '1' }, status: 'alive' }]);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
    const ctl = new Controller(source, plane.driver, roles('roles:\n  web: { lb: [web], check: { enabled: false } }\n'), log, { resyncMs: 200 });
    t.after(async () => {
      await ctl.stop();
      await plane.stop();
    });
    await ctl.start();
    assert.deepEqual(await pools(plane.driver), { web: ['w1:ready'], api: [] });
    await plane.dropBehindItsBack('web', 'w1');
    await waitFor('w1 back after resync', async () => (await pools(plane.driver)).web?.join() === 'w1:ready');
    assert.equal(lines.filter((l) => l.startsWith('web: +w1')).length, 1, lines.join('\n'));
  });
}
