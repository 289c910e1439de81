// The admin API answers {error, code} with the catalogue's status, its routes as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseMainConfig } from '../../src/main-config/main.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';

test('admin API: routes, and errors as {error, code}', async (t) => {
  const yaml = 'frontends: { web: { bind: "127.0.0.1:0", default_backend: app } }\nbackends: { app: {} }\nadmin: { bind: "127.0.0.1:0", token: t0k }\n';
  const cfg = parseMainConfig('lbagent.yml', yaml);
  assert.ok(cfg.ok);
  const lb = await startDataPlane(cfg.value, pino({ level: 'silent' }));
  t.after(() => lb.stop(0));
  const base = `http://127.0.0.1:${lb.admin.port}`;
  const call = async (method: string, path: string, body?: unknown, token = 't0k') => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type') === 'application/json' ? (JSON.parse(text) as Record<string, unknown>) : text };
  };

  assert.deepEqual(await call('GET', '/v1/backends', undefined, 'wrong'), { status: 401, body: { error: 'Invalid authentication token: missing or wrong bearer token', code: 'LBA_ERR_API_UNAUTHORIZED' } });
  assert.equal((await call('GET', '/v1/stats')).status, 200);
  assert.equal((await call('GET', '/v1/frontends')).status, 200);
  assert.match(String((await call('GET', '/metrics')).body), /lbagent_frontend_current_sessions/);
  const set = await call('PUT', '/v1/backends/app/servers', { servers: [{ name: 's1', addr: '127.0.0.1:9', weight: 7 }] });
  assert.equal(set.status, 200);
  assert.deepEqual(await call('PUT', '/v1/backends/app/servers', [{ name: 's1', addr: '127.0.0.1', port: 9 }]).then((r) => r.status), 200, 'a bare list, addr and port apart');
  const s1 = await call('POST', '/v1/backends/app/servers/s1/weight', { weight: 3 });
  assert.equal((s1.body as { weight: number }).weight, 3);
  assert.equal((await call('PUT', '/v1/backends/app/servers/s1/state', { state: 'drain' })).status, 200);

  assert.deepEqual(await call('GET', '/v1/backends/nope'), { status: 404, body: { error: "not found: no such backend 'nope'", code: 'LBA_ERR_ADMIN_NOT_FOUND' } });
  assert.deepEqual(await call('POST', '/v1/backends/app/servers/zz/weight', { weight: 3 }), { status: 404, body: { error: "not found: no such server 'zz' in backend 'app'", code: 'LBA_ERR_ADMIN_NOT_FOUND' } });
  assert.deepEqual(await call('POST', '/v1/backends/app/servers/s1/weight', { weight: 900 }), { status: 400, body: { error: 'invalid request: weight: must be an integer 0..256', code: 'LBA_ERR_API_BAD_BODY' } });
  assert.deepEqual(await call('POST', '/v1/backends/app/servers/s1/state', { state: 'up' }), { status: 400, body: { error: 'invalid request: state: must be one of ready, drain, maint', code: 'LBA_ERR_API_BAD_BODY' } });
  assert.deepEqual(await call('PUT', '/v1/backends/app/servers', [{ name: 's1', addr: 'nowhere' }]), { status: 400, body: { error: 'invalid request: 0.addr: must be host:port, or addr and port', code: 'LBA_ERR_API_BAD_BODY' } });
  assert.deepEqual((await call('PUT', '/v1/backends/app/servers', { nope: 1 })).body, { error: 'invalid request: must be a list of servers (or {"servers": [...]})', code: 'LBA_ERR_API_BAD_BODY' });
  assert.deepEqual((await call('PUT', '/v1/backends/app/servers')).status, 400, 'no body');
  assert.deepEqual((await call('GET', '/nope')).body, { error: 'no such endpoint: GET /nope', code: 'LBA_ERR_API_NOT_FOUND' });
  assert.deepEqual((await call('DELETE', '/v1/backends/app')).body, { error: 'DELETE /v1/backends/app: method not allowed (allowed: GET)', code: 'LBA_ERR_API_METHOD_NOT_ALLOWED' });
});
