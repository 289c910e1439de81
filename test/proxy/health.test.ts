// Health checks wired into the engine: a failing server leaves the rotation and comes back; monitor-only
// servers are checked but never get traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/wait.js';
import { rawRequest, startBackend, startProxy } from './fixtures.js';

// `fall 1` with a 100 ms inter makes the transitions fast, but `timeout check` defaults to inter, and the proxy,
// its checks and these backends share this process's event loop: on a busy machine a loop held up for more than
// 100 ms runs the check's timer before it reads the answer that has long arrived, and one such false timeout puts
// a healthy server DOWN (then a's requests, or the "UP again" rotation, go wrong). The checks here fail by their
// answer (a 500 or 503, at once), never by silence, so a timeout far beyond any stall costs nothing and makes every
// DOWN mean what the test says.
const CHECK_TIMEOUT = '10s';

test('a server failing its http check goes DOWN and out of rotation, then back UP', async (t) => {
  let healthy = true;
  const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.url === '/health') {
      res.statusCode = name === 'b' && !healthy ? 500 : 200;
      return res.end();
    }
    res.end(`${name} ${req.url}`);
  };
  const a = await startBackend('a', handler('a'));
  const b = await startBackend('b', handler('b'));
  const mon = await startBackend('mon', handler('mon'));
  t.after(() => Promise.all([a.close(), b.close(), mon.close()]));
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: ${CHECK_TIMEOUT} }
    servers:
      - { name: a, addr: "127.0.0.1:${a.port}", check: true }
      - { name: b, addr: "127.0.0.1:${b.port}", check: true }
      - { name: mon, addr: "127.0.0.1:${mon.port}", monitor: true }
`);
  t.after(() => lb.stop());
  const port = lb.port('web');
  const status = async (name: string) => (await lb.proxy.snapshot())[0]!.servers.find((s) => s.name === name)!;
  await waitFor('checks passed', async () => (await status('mon')).check.status === 'passed' && (await status('b')).check.status === 'passed');
  assert.equal((await status('b')).status, 'UP');
  healthy = false;
  await waitFor('b DOWN', async () => (await status('b')).status === 'DOWN');
  for (let i = 0; i < 4; i++) assert.match((await rawRequest(port, `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`)).body, /^a /);
  assert.match((await status('b')).check.lastResult ?? '', /Layer7 wrong status, code: 500/);
  healthy = true;
  await waitFor('b UP again', async () => (await status('b')).status === 'UP');
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await rawRequest(port, `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`)).body.split(' ')[0]!);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
  assert.equal(mon.seen.filter((r) => r.url !== '/health').length, 0, 'monitor-only server never gets traffic');
  assert.ok((await status('b')).downtimeMs > 0);
});

test('setServers switches a running server\'s check on and off in place, and a new check section restarts checks', async (t) => {
  let code = 200;
  const a = await startBackend('a', (req, res) => {
    res.statusCode = req.url === '/health' ? code : 200;
    res.end('a');
  });
  t.after(() => a.close());
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: ${CHECK_TIMEOUT} }
    servers:
      - { name: a, addr: "127.0.0.1:${a.port}" }
`);
  t.after(() => lb.stop());
  const status = async () => (await lb.proxy.snapshot())[0]!.servers[0]!;
  assert.equal((await status()).status, 'no check');
  code = 503;
  await lb.proxy.setServers('web', [{ name: 'a', addr: '127.0.0.1', port: a.port, check: { enabled: true } }]);
  await waitFor('check switched on: a DOWN', async () => (await status()).status === 'DOWN');
  await lb.proxy.setServers('web', [{ name: 'a', addr: '127.0.0.1', port: a.port, check: { enabled: false } }]);
  await waitFor('check switched off: no check', async () => (await status()).status === 'no check');
  assert.equal((await status()).check.status, 'none');
});
