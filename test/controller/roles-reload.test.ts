// The balancer's control plane on real gossip: a roles.yml edit that `lbagent check` rejects (a backend the proxy
// does not have) is refused at run time with check's own message and the pool keeps its servers; a reload of
// lbagent.yml applies controller settings and roles through the same validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { createSerf } from '../../src/gossip/index.js';
import { startControlPlane } from '../../src/balancer/control-plane.js';
import { createReloader } from '../../src/balancer/reload.js';
import { validateBalancerFiles } from '../../src/balancer/validate.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { freePort } from '../helpers/ports.js';
import { lbagentBin, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { rawRequest, startBackend } from '../proxy/fixtures.js';

const run = promisify(execFile);

test('roles.yml naming an unknown backend is refused with check\'s message; the pool keeps its servers', { timeout: 90_000 }, async (t) => {
  const app = await startBackend('app');
  t.after(() => app.close());
  const dir = tempDir(t, 'lbagent-roles-reload-');
  const file = join(dir, 'lbagent.yml');
  const rolesFile = join(dir, 'roles.yml');
  const [web, admin, gossip] = [await freePort(), await freePort(), await freePort()];
  const lbYaml = (controller: string) =>
    [
      `frontends: { web: { bind: "127.0.0.1:${web}", default_backend: web } }`,
      'backends: { web: {}, api: {} }',
      `admin: { bind: "127.0.0.1:${admin}" }`,
      'roles: ./roles.yml',
      `gossip: { node: lb-1, bind: "127.0.0.1:${gossip}", profile: local }`,
      `controller: { resync: 0, ${controller} }`,
      '',
    ].join('\n');
  writeFileSync(file, lbYaml('pause_state: drain'));
  writeFileSync(rolesFile, 'roles:\n  web:\n    lb: [web]\n    check: { enabled: false }\n');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) });

  const files = validateBalancerFiles(file);
  assert.ok(files.ok, files.ok ? '' : files.errors.map(formatConfigError).join('\n'));
  const handle = await startDataPlane(files.value.config, log);
  t.after(() => handle.stop(0));
  const plane = (await startControlPlane(files.value, handle.driver, log))!;
  t.after(() => plane.stop({ leave: false }));
  const web1 = await createSerf({ nodeName: 'web-1', bindAddr: '127.0.0.1', bindPort: await freePort(), tags: { role: 'web', port: String(app.port) }, profile: 'local' });
  t.after(() => web1.shutdown());
  await web1.join([`127.0.0.1:${gossip}`]);

  const pool = async () => (await handle.driver.snapshot()).find((b) => b.name === 'web')!.servers.filter((s) => !s.removing).map((s) => `${s.name}:${s.admin}`).join();
  const ask = async () => (await rawRequest(web, 'GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).body;
  await waitFor('web-1 in pool web', async () => (await pool()) === 'web-1:ready', { timeoutMs: 30_000 });
  assert.equal(await ask(), 'app /r 0');

  // check rejects it: the balancer must too, with the same words, and keep web-1 in the pool.
  writeFileSync(rolesFile, 'roles:\n  web:\n    lb: [ghost]\n');
  const checked = await run(process.execPath, [lbagentBin, 'check', '-c', file], { cwd: repoRoot }).then(
    () => '',
    (err: { stderr: string }) => err.stderr,
  );
  const message = /\[ALERT\] (\S+roles\.yml:3:10: 'roles\.web\.lb\[0\]' unknown backend 'ghost'.*)/.exec(checked)?.[1];
  assert.ok(message, `check rejects the roles:\n${checked}`);
  await waitFor('roles refused with check\'s message', () => lines.some((l) => l === `roles rejected: ${message}`), { timeoutMs: 30_000 });
  assert.equal(await pool(), 'web-1:ready', 'the running roles stay in force');
  assert.equal(await ask(), 'app /r 0');

  // A reload of lbagent.yml reads the roles again: still refused as a whole, nothing changes.
  const reload = createReloader(file, files.value, handle, plane, log);
  await reload('test');
  assert.ok(lines.some((l) => l === `reload rejected: ${message}`), lines.join('\n'));
  assert.equal(await pool(), 'web-1:ready');

  // Fixed roles and a new controller.pause_state are applied by the reload; a pause then uses maint.
  writeFileSync(rolesFile, 'roles:\n  web:\n    lb: [web, api]\n    check: { enabled: false }\n');
  writeFileSync(file, lbYaml('pause_state: maint'));
  await reload('test');
  await waitFor('web-1 in web and api', async () => (await handle.driver.snapshot()).find((b) => b.name === 'api')!.servers.some((s) => s.name === 'web-1' && !s.removing), { timeoutMs: 30_000 });
  await web1.userEvent('pause', Buffer.from('web-1'), false);
  await waitFor('web-1 paused in maint (the reloaded pause_state)', async () => (await pool()) === 'web-1:maint', { timeoutMs: 30_000 });
});
