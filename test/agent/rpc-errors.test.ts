// The agent's HTTP RPC answers {error, code} with the catalogue's status, and the CLI's client turns that
// answer back into an error with the agent's message and code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AgentRpcServer } from '../../src/agent/rpc.js';
import type { RpcTarget } from '../../src/agent/rpc-target.js';
import { AgentClient, isAnswer } from '../../src/agent/client.js';
import { describeError, errorCode } from '../../src/errors/index.js';

const refuse = (what: string) => () => Promise.reject(new Error(what));
const target: RpcTarget = {
  info: () => ({ name: 'n1', addr: '127.0.0.1', port: 7946, tags: {} }),
  members: () => [],
  join: refuse('no peer answered'),
  leave: () => Promise.resolve(),
  forceLeave: refuse('no such node'),
  userEvent: refuse('event too large'),
  setTags: refuse('tags too large'),
  stats: () => ({}),
  monitor: () => () => {},
  query: refuse('query too large'),
  keyOp: refuse('encryption is not enabled'),
  subscribe: () => () => {},
  maintenancePayload: () => 'n1 127.0.0.1 web',
};

async function start(t: { after(fn: () => unknown): void }, auth?: string): Promise<string> {
  const rpc = new AgentRpcServer(target, auth, pino({ level: 'silent' }));
  const addr = await rpc.listen('127.0.0.1', 0);
  t.after(() => rpc.close());
  return `127.0.0.1:${addr.port}`;
}

test('agent RPC errors: {error, code} with the status of the code', async (t) => {
  const addr = await start(t);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`http://${addr}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  assert.deepEqual(await post('/v1/join', { addrs: ['10.0.0.1'] }), { status: 502, body: { error: 'Error joining the cluster: no peer answered', code: 'LBA_ERR_RPC_JOIN' } });
  assert.deepEqual(await post('/v1/force-leave', { node: 'x' }), { status: 500, body: { error: 'Error force leaving: no such node', code: 'LBA_ERR_RPC_FORCE_LEAVE' } });
  assert.deepEqual(await post('/v1/event', { name: 'deploy' }), { status: 400, body: { error: 'Error sending event: event too large', code: 'LBA_ERR_RPC_EVENT' } });
  assert.deepEqual(await post('/v1/keys/install', { key: 'k' }), { status: 400, body: { error: 'Error with the keyring: encryption is not enabled', code: 'LBA_ERR_RPC_KEYS' } });
  assert.deepEqual(await post('/v1/query', { name: 'q' }), { status: 400, body: { error: 'Error sending query: query too large', code: 'LBA_ERR_RPC_QUERY' } });
  assert.deepEqual(await post('/v1/join', { addrs: [] }), { status: 400, body: { error: 'invalid request: addrs: must be a non-empty list of addresses', code: 'LBA_ERR_API_BAD_BODY' } });
  assert.deepEqual(await post('/v1/event', { name: '' }), { status: 400, body: { error: 'invalid request: name: must not be empty', code: 'LBA_ERR_API_BAD_BODY' } });
  const get = async (path: string) => {
    const res = await fetch(`http://${addr}${path}`);
    return { status: res.status, body: (await res.json()) as { code: string } };
  };
  assert.deepEqual(await get('/v1/monitor?level=loud'), { status: 400, body: { error: 'Unknown log level: loud (expected trace, debug, info, warn or err)', code: 'LBA_ERR_RPC_LOG_LEVEL' } });
  assert.deepEqual((await get('/v1/members?tag=role')).body.code, 'LBA_ERR_RPC_MEMBER_FILTER');
  assert.deepEqual((await get('/v1/stream?filter=nonsense')).body.code, 'LBA_ERR_RPC_EVENT_FILTER');
  assert.deepEqual(await get('/v1/nope'), { status: 404, body: { error: 'no such endpoint: GET /v1/nope', code: 'LBA_ERR_API_NOT_FOUND' } });
  assert.equal((await get('/v1/join')).status, 405);
});

test("the CLI client reports the agent's message and code", async (t) => {
  const addr = await start(t, 'k3y');
  const wrongKey = new AgentClient(addr, 'nope');
  const err = await wrongKey.call('GET', '/v1/members').then(() => undefined, (e: unknown) => e);
  assert.ok(isAnswer(err));
  assert.equal(errorCode(err), 'LBA_ERR_API_UNAUTHORIZED');
  assert.equal(err.status, 401);
  assert.equal(describeError(err), 'Invalid authentication token: missing or wrong bearer token [LBA_ERR_API_UNAUTHORIZED]');
  assert.equal(await wrongKey.alive(), true, 'an answer, even a refusal, means an agent is there');
  const client = new AgentClient(addr, 'k3y');
  await assert.rejects(client.call('POST', '/v1/join', { addrs: ['10.0.0.1'] }), (e: unknown) => describeError(e) === 'Error joining the cluster: no peer answered [LBA_ERR_RPC_JOIN]');
});
