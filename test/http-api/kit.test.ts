// The JSON-over-HTTP kit both APIs stand on: auth, 404/405/413/400 and every error as {error, code}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { z } from 'zod';
import { createApi, route, TextAnswer } from '../../src/http-api/index.js';
import { RpcJoin } from '../../src/errors/index.js';

async function serve(t: { after(fn: () => unknown): void }, token?: string): Promise<string> {
  const routes = [
    route({ method: 'GET', path: '/v1/things/:name', handler: ({ params, query }) => ({ name: params.name, q: query.getAll('q') }) }),
    route({ method: ['PUT', 'POST'], path: '/v1/things', body: z.object({ n: z.number().int() }), handler: ({ body }) => ({ twice: body.n * 2 }) }),
    route({ method: 'GET', path: '/text', handler: () => new TextAnswer('plain\n', 'text/plain') }),
    route({ method: 'GET', path: '/coded', handler: () => { throw new RpcJoin('nobody answered'); } }),
    route({ method: 'GET', path: '/boom', handler: () => { throw new TypeError('oops'); } }),
  ];
  const server: Server = createServer(createApi({ name: 'test', routes, token: () => token, log: pino({ level: 'silent' }), maxBody: 1024 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

test('routes from the table: path parameters decoded, query kept, body validated, text answers', async (t) => {
  const base = await serve(t);
  assert.deepEqual(await json(await fetch(`${base}/v1/things/a%20b?q=1&q=2`)), { status: 200, body: { name: 'a b', q: ['1', '2'] } });
  assert.deepEqual(await json(await fetch(`${base}/v1/things/`, { method: 'POST', body: '{"n": 21}' })), { status: 200, body: { twice: 42 } });
  assert.deepEqual(await json(await fetch(`${base}/v1/things`, { method: 'PUT', body: '{"n": 1}' })), { status: 200, body: { twice: 2 } });
  const text = await fetch(`${base}/text`);
  assert.equal(text.headers.get('content-type'), 'text/plain');
  assert.equal(await text.text(), 'plain\n');
});

test('404, 405, 413, bad JSON and schema errors answer {error, code} with their status', async (t) => {
  const base = await serve(t);
  assert.deepEqual(await json(await fetch(`${base}/nope`)), { status: 404, body: { error: 'no such endpoint: GET /nope', code: 'LBA_ERR_API_NOT_FOUND' } });
  const wrong = await fetch(`${base}/v1/things`);
  assert.equal(wrong.headers.get('allow'), 'PUT, POST');
  assert.deepEqual(await json(wrong), { status: 405, body: { error: 'GET /v1/things: method not allowed (allowed: PUT, POST)', code: 'LBA_ERR_API_METHOD_NOT_ALLOWED' } });
  const big = await json(await fetch(`${base}/v1/things`, { method: 'POST', body: JSON.stringify({ n: 1, pad: 'x'.repeat(2000) }) }));
  assert.deepEqual(big, { status: 413, body: { error: 'request body too large (over 1024 bytes)', code: 'LBA_ERR_API_BODY_TOO_LARGE' } });
  const bad = await json(await fetch(`${base}/v1/things`, { method: 'POST', body: '{"n":' }));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'LBA_ERR_API_BAD_JSON');
  assert.match(String(bad.body.error), /^invalid JSON body: /);
  const schema = await json(await fetch(`${base}/v1/things`, { method: 'POST', body: '{"n": "x"}' }));
  assert.equal(schema.status, 400);
  assert.equal(schema.body.code, 'LBA_ERR_API_BAD_BODY');
  assert.match(String(schema.body.error), /^invalid request: n: /, 'the field is named');
  const empty = await json(await fetch(`${base}/v1/things`, { method: 'POST' }));
  assert.deepEqual([empty.status, empty.body.code], [400, 'LBA_ERR_API_BAD_BODY']);
});

test("a handler's coded error answers with its catalogue status; anything else is a 500 LBA_ERR_API_INTERNAL", async (t) => {
  const base = await serve(t);
  assert.deepEqual(await json(await fetch(`${base}/coded`)), { status: 502, body: { error: 'Error joining the cluster: nobody answered', code: 'LBA_ERR_RPC_JOIN' } });
  assert.deepEqual(await json(await fetch(`${base}/boom`)), { status: 500, body: { error: 'internal error: oops', code: 'LBA_ERR_API_INTERNAL' } });
});

test('with a token: every request needs it (constant-time compare), 401 {error, code} with WWW-Authenticate otherwise', async (t) => {
  const base = await serve(t, 's3cret');
  for (const authorization of [undefined, 'Bearer nope', 's3cret']) {
    const res = await fetch(`${base}/v1/things/x`, { headers: authorization ? { authorization } : {} });
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await json(res), { status: 401, body: { error: 'Invalid authentication token: missing or wrong bearer token', code: 'LBA_ERR_API_UNAUTHORIZED' } });
  }
  // Unknown paths are not revealed before auth.
  assert.equal((await fetch(`${base}/nope`)).status, 401);
  assert.equal((await fetch(`${base}/v1/things/x`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
});
