// A stats page (or admin API) reachable from the network without a password is warned about at start; the stats
// page follows a reload: moved to another address, its auth changed in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { freePort } from '../helpers/ports.js';

function config(yaml: string) {
  const r = parseMainConfig('lbagent.yml', yaml);
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  return r.value;
}

test('stats page on a non-loopback address without stats.auth: a warning at start; with auth or on loopback: none', async (t) => {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const fe = 'frontends: { web: { bind: "127.0.0.1:0", default_backend: app } }\nbackends: { app: {} }\nadmin: { bind: "127.0.0.1:0" }\n';
  const open = await startDataPlane(config(`${fe}stats: { bind: "0.0.0.0:0" }\n`), log);
  t.after(() => open.stop(0));
  assert.ok(lines.some((l) => l.level === 40 && /^stats page on 0\.0\.0\.0:0 is reachable from the network without stats\.auth/.test(l.msg)), JSON.stringify(lines));
  lines.length = 0;
  const closed = await startDataPlane(config(`${fe}stats: { bind: "0.0.0.0:0", auth: "admin:pw" }\n`), log);
  t.after(() => closed.stop(0));
  const local = await startDataPlane(config(`${fe}stats: { bind: "127.0.0.1:0" }\n`), log);
  t.after(() => local.stop(0));
  assert.deepEqual(lines.filter((l) => l.level >= 40), []);
});

test('stats page reload: a new bind moves it (the old address closes), new auth applies at once', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const fe = 'frontends: { web: { bind: "127.0.0.1:0", default_backend: app } }\nbackends: { app: {} }\nadmin: { bind: "127.0.0.1:0" }\n';
  const lb = await startDataPlane(config(`${fe}stats: { bind: "127.0.0.1:${p1}", auth: "u:one" }\n`), pino({ level: 'silent' }));
  t.after(() => lb.stop(0));
  const get = (port: number, pw: string) => fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Basic ${Buffer.from(`u:${pw}`).toString('base64')}` } }).then((r) => r.status);
  assert.equal(await get(p1, 'one'), 200);
  await lb.reload(config(`${fe}stats: { bind: "127.0.0.1:${p2}", auth: "u:two" }\n`));
  assert.deepEqual(lb.stats, { host: '127.0.0.1', port: p2 });
  assert.equal(await get(p2, 'two'), 200);
  assert.equal(await get(p2, 'one'), 401);
  await assert.rejects(get(p1, 'two'), 'the old address is closed');
});
