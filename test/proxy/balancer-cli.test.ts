// `lbagent balancer` as a process: admin API, SIGHUP reload in place (listener kept), bad reload rejected,
// SIGTERM exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { openSocket, readResponse, startBackend } from './fixtures.js';

test('lbagent balancer: admin API, SIGHUP reload keeps the listener, bad config is rejected, SIGTERM exits 0', async (t) => {
  const a = await startBackend('a');
  const b = await startBackend('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const [web, admin] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-balancer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lbagent.yml');
  const config = (servers: string, extra = '') => `
admin: { bind: "127.0.0.1:${admin}", token: s3cret }
frontends:
  web: { bind: "127.0.0.1:${web}", default_backend: app }
backends:
  app:
    servers:
${servers}
${extra}`;
  writeFileSync(file, config(`      - { name: a, addr: "127.0.0.1:${a.port}" }`));
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${admin}${path}`, { ...init, headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' } });
  await waitFor('admin API up', async () => (await api('/v1/backends')).ok, { timeoutMs: 30_000 });
  assert.equal((await fetch(`http://127.0.0.1:${admin}/v1/backends`)).status, 401, 'token required');

  // One keep-alive client connection stays open across reloads.
  const client = await openSocket(web);
  t.after(() => client.destroy());
  const ask = async () => {
    const p = readResponse(client);
    client.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    return (await p).body;
  };
  assert.equal(await ask(), 'a /x 0');

  writeFileSync(file, config(`      - { name: b, addr: "127.0.0.1:${b.port}" }`));
  proc.kill('SIGHUP');
  await waitFor('reload applied', async () => (await ask()) === 'b /x 0');

  // A broken config is refused and the running one stays.
  writeFileSync(file, config(`      - { name: b, addr: "127.0.0.1:${b.port}", weight: 999 }`));
  proc.kill('SIGHUP');
  await waitFor('reload rejected', () => out.includes('reload rejected'));
  assert.equal(await ask(), 'b /x 0');
  assert.match(out, /lbagent\.yml:\d+:\d+: 'backends\.app\.servers\[0\]\.weight'/, 'the rejection names file:line:col and the key');

  // A change of the file alone (no signal) is picked up by the watcher and applied in place.
  writeFileSync(file, config(`      - { name: a, addr: "127.0.0.1:${a.port}" }`));
  await waitFor('file change applied', async () => (await ask()) === 'a /x 0');
  writeFileSync(file, config(`      - { name: b, addr: "127.0.0.1:${b.port}" }`));
  await waitFor('second file change applied', async () => (await ask()) === 'b /x 0');

  // Admin API: replace the list, change state and weight, stats and metrics.
  const put = await api('/v1/backends/app/servers', { method: 'PUT', body: JSON.stringify([{ name: 'a', addr: `127.0.0.1:${a.port}`, weight: 5 }, { name: 'b', addr: `127.0.0.1:${b.port}` }]) });
  assert.deepEqual(await put.json(), { added: ['a'], removed: [], changed: [] });
  assert.equal((await api('/v1/backends/app/servers/b/state', { method: 'PUT', body: JSON.stringify({ state: 'maint' }) })).status, 200);
  assert.equal(await ask(), 'a /x 0');
  assert.equal((await api('/v1/backends/app/servers/a/weight', { method: 'POST', body: JSON.stringify({ weight: 7 }) })).status, 200);
  assert.equal((await api('/v1/backends/app/servers/a/weight', { method: 'POST', body: JSON.stringify({ weight: 900 }) })).status, 400);
  assert.equal((await api('/v1/backends/nope')).status, 404);
  const detail = (await (await api('/v1/backends/app')).json()) as { servers: { name: string; status: string; weight: number }[] };
  assert.deepEqual(detail.servers.map((s) => [s.name, s.status, s.weight]), [['b', 'MAINT', 1], ['a', 'no check', 7]]);
  const stats = (await (await api("/v1/stats")).json()) as { frontends: { name: string; reqTotal: number; reqRate: number; reqRateMax: number }[] };
  assert.equal(stats.frontends[0]!.name, 'web');
  assert.ok(stats.frontends[0]!.reqTotal >= 3);
  assert.ok(stats.frontends[0]!.reqRateMax >= 1, "request rate is counted");
  const metrics = await (await api('/metrics')).text();
  assert.match(metrics, /lbagent_server_weight\{proxy="app",server="a"\} 7/);
  assert.match(metrics, /lbagent_server_http_responses_total\{proxy="app",server="b",code="2xx"\} [1-9]/, 'responses by class per server');
  assert.match(metrics, /lbagent_backend_http_responses_total\{proxy="app",code="2xx"\} [1-9]/);
  assert.equal(((await (await api('/v1/frontends')).json()) as unknown[]).length, 1);

  client.destroy();
  proc.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, /"access":true/);
});
