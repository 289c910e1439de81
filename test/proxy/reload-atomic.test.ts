// A reload whose listener cannot bind changes nothing: the running frontends, their addresses and the backends'
// servers stay as they were, and the listeners it had already opened are closed again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { parseMainConfig, type MainConfig } from '../../src/main-config/main.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { startBackend } from './fixtures.js';

function config(text: string): MainConfig {
  const r = parseMainConfig('lbagent.yml', text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

async function get(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/`);
  return `${r.status} ${await r.text()}`;
}

test('a reload with a listener that cannot bind is refused whole', async (t) => {
  const [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  t.after(() => taken.close());
  const takenPort = (taken.address() as { port: number }).port;
  const [web, moved] = [await freePort(), await freePort()];
  const yaml = (webPort: number, server: number, extra = '') => `
admin: { bind: "127.0.0.1:0" }
frontends:
  web: { bind: "127.0.0.1:${webPort}", default_backend: app }
${extra}
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${server}" }] }
`;
  const lb = await startDataPlane(config(yaml(web, a.port)), silentLogger);
  t.after(() => lb.stop(0));
  assert.match(await get(web), /^200 a/);

  // web moves to a free port, a new frontend wants a taken one, and the server changes: none of it may happen
  const bad = config(yaml(moved, b.port, `  api: { bind: "127.0.0.1:${takenPort}", default_backend: app }`));
  await assert.rejects(lb.reload(bad), { code: 'LBA_ERR_PROXY_BIND', message: /Starting frontend api: cannot bind socket/ });
  assert.match(await get(web), /^200 a/, 'the running frontend and its server are unchanged');
  assert.equal(await accepts(moved), false, 'the listener opened ahead was closed again');
  assert.deepEqual((await lb.proxy.snapshot())[0]!.servers.map((s) => s.port), [a.port]);

  // the same move without the bad frontend applies whole
  await lb.reload(config(yaml(moved, b.port)));
  assert.match(await get(moved), /^200 b/);
  assert.equal(await accepts(web), false);

  // a frontend that re-opens on its own address (mode changed) is stopped first, then opened: no false refusal
  await lb.reload(config(yaml(moved, b.port).replace('default_backend: app }', 'default_backend: app, mode: tcp }').replace('app: { servers', 'app: { mode: tcp, servers')));
  assert.equal(await accepts(moved), true);
});
