// global.workers: several proxy processes share the listeners, with one view of pools and stats held by the
// control process (pool changes, health, reloads reach every worker; counters add up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig, type MainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane, type DataPlaneHandle } from '../../src/proxy/data-plane.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from '../helpers/procs.js';
import { rawRequest, startBackend } from './fixtures.js';

function config(text: string): MainConfig {
  const r = parseMainConfig('lbagent.yml', text);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  return (r as { value: MainConfig }).value;
}

const get = (port: number, path = '/') => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
const servedBy = async (port: number) => (await get(port)).body.split(' ')[0]!;
type Stats = { workers?: { pid: number; requests: number }[]; frontends: { reqTotal: number }[] };

test('workers: every worker serves, pool changes and health reach all of them, counters add up, reload and stop', async (t) => {
  let dHealthy = false;
  const a = await startBackend('a');
  const b = await startBackend('b');
  const c = await startBackend('c');
  const d = await startBackend('d', (req, res) => {
    if (req.url === '/health') res.statusCode = dHealthy ? 200 : 503;
    res.end(`d ${req.url}`);
  });
  t.after(() => Promise.all([a.close(), b.close(), c.close(), d.close()]));
  const [web, extra] = [await freePort(), await freePort()];
  const text = (more = '') => `
global: { workers: 2 }
admin: { bind: "127.0.0.1:0" }
frontends:
  web: { bind: "127.0.0.1:${web}", default_backend: app }
${more}
backends:
  app:
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: 10s } # these checks fail by their answer; a loop stalled on a busy machine must not time one out (see health.test.ts)
    servers:
      - { name: a, addr: "127.0.0.1:${a.port}" }
      - { name: b, addr: "127.0.0.1:${b.port}" }
      - { name: d, addr: "127.0.0.1:${d.port}", check: true }
`;
  const lb: DataPlaneHandle = await startDataPlane(config(text()), silentLogger);
  let stopped = false;
  t.after(() => (stopped ? undefined : lb.stop(0)));
  const stats = async () => {
    const res = await fetch(`http://127.0.0.1:${lb.admin.port}/v1/stats`);
    return (await res.json()) as Stats;
  };

  // Two worker processes, both carrying requests (the kernel spreads new connections between them).
  let sent = 0;
  const workers = await waitFor('both workers served requests', async () => {
    for (let i = 0; i < 10; i++, sent++) assert.match(await servedBy(web), /^[ab]$/, 'd is DOWN (its check fails): never served');
    const s = await stats();
    return s.workers?.length === 2 && s.workers.every((w) => w.requests > 0) ? s.workers : undefined;
  });
  const pids = workers.map((w) => w.pid);
  assert.ok(pids.every((p) => p !== process.pid && alive(p)), 'workers are processes of their own');
  // One view of the counters: the workers' requests add up to what was sent.
  const s = await stats();
  assert.equal(s.frontends[0]!.reqTotal, sent);
  assert.equal(s.workers!.reduce((n, w) => n + w.requests, 0), sent);

  // A state change through the driver is in force in every worker when the call returns.
  await lb.driver.setState('app', 'a', 'drain');
  for (let i = 0; i < 20; i++) assert.equal(await servedBy(web), 'b', 'a drains in every worker');
  await lb.driver.setServers('app', [
    { name: 'b', addr: '127.0.0.1', port: b.port, state: 'maint' },
    { name: 'c', addr: '127.0.0.1', port: c.port },
    { name: 'd', addr: '127.0.0.1', port: d.port, check: { enabled: true } },
  ]);
  for (let i = 0; i < 20; i++) assert.equal(await servedBy(web), 'c', 'a removed, b in maint, d DOWN: only c');

  // Health is checked once, by the control process, and followed by every worker.
  dHealthy = true;
  const seen = new Set<string>();
  await waitFor('d UP and served', async () => {
    seen.add(await servedBy(web));
    return seen.has('d');
  });
  const view = (await lb.driver.snapshot()).find((x) => x.name === 'app')!;
  assert.deepEqual(view.servers.map((x) => [x.name, x.status]).sort(), [['b', 'MAINT'], ['c', 'no check'], ['d', 'UP']]);

  // A reload reaches the workers: a new frontend opens, the old one keeps its listener, and the backend is
  // back to the file's servers (as in one process: the controller re-applies its pools after a reload).
  await lb.reload(config(text(`  extra: { bind: "127.0.0.1:${extra}", default_backend: app }`)));
  assert.match(await servedBy(extra), /^[abd]$/);
  assert.match(await servedBy(web), /^[abd]$/);
  const after = (await lb.driver.snapshot()).find((x) => x.name === 'app')!;
  assert.deepEqual(after.servers.filter((x) => !x.removing).map((x) => x.name).sort(), ['a', 'b', 'd']);

  // A worker that dies is replaced, with the current pools; the other one serves meanwhile.
  process.kill(pids[0]!, 'SIGKILL');
  const replaced = await waitFor('a new worker in place of the killed one', async () => {
    const w = (await stats()).workers ?? [];
    return w.length === 2 && !w.some((x) => x.pid === pids[0]) ? w : undefined;
  });
  for (let i = 0; i < 10; i++) assert.match(await servedBy(web), /^[abd]$/);

  // Stop: the workers exit with the control process.
  stopped = true;
  await lb.stop(0);
  const all = [...new Set([...pids, ...replaced.map((w) => w.pid)])];
  await waitFor('workers exited', () => all.every((p) => !alive(p)));
});

test('workers: connection limits are shared out (each worker gets its part, rounded up)', async () => {
  const { shareLimits } = await import('../../src/proxy/cluster/worker.js');
  const { resolveModel } = await import('../../src/proxy/model/index.js');
  const model = resolveModel(config(`
global: { maxconn: 101 }
frontends:
  web: { bind: "127.0.0.1:0", maxconn: 10, default_backend: app }
backends:
  app:
    servers: [ { name: a, addr: "127.0.0.1:1", maxconn: 3 } ]
`));
  const shared = shareLimits(model, 2);
  assert.equal(shared.maxconn, 51);
  assert.equal(shared.frontends[0]!.maxconn, 5);
  assert.deepEqual(shared.backends[0]!.maxconn, { a: 2 });
  assert.equal(shareLimits(model, 1), model);
});

test('workers: the setting is a count or auto; anything else is refused with its position', () => {
  const r = parseMainConfig('lbagent.yml', 'global:\n  workers: lots\n');
  assert.ok(!r.ok);
  assert.match(formatConfigError(r.errors[0]!), /^lbagent\.yml:2:12: 'global\.workers'/);
  assert.ok(parseMainConfig('lbagent.yml', 'global: { workers: auto }\n').ok);
  assert.ok(parseMainConfig('lbagent.yml', 'global: { workers: 4 }\n').ok);
});
