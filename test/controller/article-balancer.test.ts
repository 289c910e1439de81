// A balancer on real gossip with a serf handler's role.yml, unchanged: a member of role iis (no port tag) serves
// in web_pool at the backend's port beside the server web_pool always listed; an edit of role.yml to `lb: none`
// with web_pool as a monitor backend is applied in place; a reload of lbagent.yml keeps the member's server as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createSerf } from '../../src/gossip/index.js';
import { startControlPlane } from '../../src/balancer/control-plane.js';
import { createReloader } from '../../src/balancer/reload.js';
import { validateBalancerFiles } from '../../src/balancer/validate.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import type { BuiltinProxy } from '../../src/proxy/builtin-proxy.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { rawRequest, startBackend } from '../proxy/fixtures.js';

test("the article's role.yml on a running balancer: backend port, static server beside, none, reload in place", { timeout: 120_000 }, async (t) => {
  const iis = await startBackend('iis-01');
  const legacy = await startBackend('legacy-1');
  t.after(() => Promise.all([iis.close(), legacy.close()]));
  const dir = tempDir(t, 'lbagent-article-');
  const file = join(dir, 'lbagent.yml');
  const roleFile = join(dir, 'role.yml');
  const [web, gossip, admin] = [await freePort(), await freePort(), await freePort()];
  const lbYaml = (more: string) => [
    `frontends: { web: { bind: "127.0.0.1:${web}", default_backend: web_pool } }`,
    'backends:',
    `  web_pool: { port: ${iis.port}, servers: [{ name: legacy-1, addr: "127.0.0.1:${legacy.port}" }] }`,
    more,
    'roles: ./role.yml',
    `admin: { bind: "127.0.0.1:${admin}" }`,
    `gossip: { node: lb-1, bind: "127.0.0.1:${gossip}", profile: local }`,
    'controller: { resync: 0 }',
    '',
  ].join('\n');
  writeFileSync(file, lbYaml(''));
  writeFileSync(roleFile, 'iis:\n  lb: [web_pool]\n  monitor: none\n  interval: 1\nweb_service_a:\n  lb: none\n  monitor: none\n  interval: 10\n');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) });

  const files = validateBalancerFiles(file);
  assert.ok(files.ok, files.ok ? '' : files.errors.map(formatConfigError).join('\n'));
  const handle = await startDataPlane(files.value.config, log);
  t.after(() => handle.stop(0));
  const plane = (await startControlPlane(files.value, handle.driver, log))!;
  t.after(() => plane.stop({ leave: false }));
  const member = await createSerf({ nodeName: 'iis-01', bindAddr: '127.0.0.1', bindPort: await freePort(), tags: { role: 'iis' }, profile: 'local' });
  t.after(() => member.shutdown());
  await member.join([`127.0.0.1:${gossip}`]);

  const pool = async () => (await handle.driver.snapshot()).find((b) => b.name === 'web_pool')!.servers.filter((s) => !s.removing)
    .map((s) => `${s.name}@${s.port}${s.monitorOnly ? ':monitor' : ''}`).sort().join();
  const ask = async () => (await rawRequest(web, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).body.split(' ')[0];
  await waitFor('iis-01 beside legacy-1, at the backend port', async () => (await pool()) === `iis-01@${iis.port},legacy-1@${legacy.port}`, { timeoutMs: 30_000 });
  const seen = new Set<string>();
  await waitFor('both served', async () => {
    seen.add((await ask())!);
    return seen.size === 2;
  }, { timeoutMs: 30_000 });
  const server = () => (handle.driver as BuiltinProxy).backend('web_pool').servers.get('iis-01');
  const runtime = server();
  assert.ok(runtime);

  // a reload of lbagent.yml (a new backend): iis-01 is the same server, never removed and added again
  writeFileSync(file, lbYaml('  service_a: { port: 1111 }'));
  await createReloader(file, files.value, handle, plane, log)('test');
  await plane.controller.idle();
  assert.equal(server(), runtime, 'same runtime after the reload');
  assert.ok(!lines.some((l) => l.startsWith('Server web_pool/iis-01 removed')), lines.join('\n'));
  assert.equal(await pool(), `iis-01@${iis.port},legacy-1@${legacy.port}`);

  // role.yml edited: iis only monitored in web_pool now (the watcher applies it in place)
  writeFileSync(roleFile, 'iis:\n  lb: none\n  monitor: web_pool\n  interval: 1\n');
  await waitFor('iis-01 monitor only', async () => (await pool()) === `iis-01@${iis.port}:monitor,legacy-1@${legacy.port}`, { timeoutMs: 30_000 });
  for (let i = 0; i < 4; i++) assert.equal(await ask(), 'legacy-1', 'a monitored server takes no traffic');
});
