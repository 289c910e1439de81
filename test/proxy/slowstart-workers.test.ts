// Slow start with `global.workers`: the control process starts a joining server's ramp and every worker follows
// it, so the new server's share is low in each of them, and /v1/stats shows its effective weight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { silentLogger } from '../../src/log/logger.js';
import { warmFraction } from '../../src/proxy/balance/index.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { rawRequest, startBackend } from './fixtures.js';

type Stats = {
  workers?: { pid: number; requests: number }[];
  backends: { name: string; servers: { name: string; weight: number; eweight: number; stot: number }[] }[];
};

test('workers: a joining server slow-starts in every worker', async (t) => {
  const warm = await startBackend('warm');
  const fresh = await startBackend('new');
  t.after(() => Promise.all([warm.close(), fresh.close()]));
  const web = await freePort();
  const parsed = parseMainConfig('lbagent.yml', `
global: { workers: 2 }
admin: { bind: "127.0.0.1:0" }
frontends:
  web: { bind: "127.0.0.1:${web}", default_backend: app }
backends:
  app:
    slowstart: 60s
    servers: [ { name: warm, addr: "127.0.0.1:${warm.port}" } ]
`);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map(formatConfigError).join('\n'));
  const lb = await startDataPlane(parsed.value, silentLogger);
  t.after(() => lb.stop(0));
  const admin = `http://127.0.0.1:${lb.admin.port}`;
  const stats = async () => (await (await fetch(`${admin}/v1/stats`)).json()) as Stats;
  const server = async (name: string) => (await stats()).backends.find((b) => b.name === 'app')!.servers.find((s) => s.name === name);

  const put = await fetch(`${admin}/v1/backends/app/servers`, {
    method: 'PUT',
    body: JSON.stringify([{ name: 'warm', addr: `127.0.0.1:${warm.port}` }, { name: 'new', addr: `127.0.0.1:${fresh.port}` }]),
  });
  assert.equal(put.status, 200);
  const joinedAt = Date.now();
  const n = (await server('new'))!;
  assert.equal(n.weight, 1);
  assert.ok(n.eweight < 0.5, `effective weight while it ramps: ${n.eweight}`);
  assert.equal((await server('warm'))!.eweight, 1, 'the static server runs at full speed');

  // new connections each time: the kernel spreads them over both workers
  const seen: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const who = (await rawRequest(web, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).body.split(' ')[0]!;
    seen[who] = (seen[who] ?? 0) + 1;
  }
  const elapsed = Date.now() - joinedAt;
  const s = await waitFor('both workers counted', async () => {
    const st = await stats();
    return st.workers && st.workers.length === 2 && st.workers.every((w) => w.requests > 0) ? st : undefined;
  });
  assert.ok(s.workers!.every((w) => w.requests > 0), 'both workers served');
  // the most the new server may have had by now, had every worker ramped in step with the control process
  const f = warmFraction(elapsed, 60_000);
  const share = (seen.new ?? 0) / 200;
  assert.ok(share <= f / (1 + f) + 0.1, `new server's share ${share} after ${elapsed} ms (ramp at ${f}): ${JSON.stringify(seen)}`);
  assert.ok((seen.new ?? 0) > 0, `the warming server does get requests: ${JSON.stringify(seen)}`);
});
