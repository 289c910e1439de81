// The CLI's choice between lbagent's HTTP RPC and serf's msgpack RPC, against listeners that are neither: the
// command fails at once with what HTTP got, it does not hang or fail on a half-read serf reply. And serf's member
// record (Go's net.IP bytes) in the HTTP RPC's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { AgentClient, serfMemberJson } from '../../src/agent/index.js';
import { AgentLost, isLbaError } from '../../src/errors/index.js';
import { encode } from '../../src/wire/msgpack/index.js';

async function listen(t: import('node:test').TestContext, onConn: (s: Socket) => void): Promise<number> {
  const server: Server = createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

const viaSerf = async () => 'serf';

test('a listener that closes every connection: the HTTP error, no serf answer invented', async (t) => {
  const port = await listen(t, (s) => s.destroy());
  const c = new AgentClient(`127.0.0.1:${port}`, '');
  const started = Date.now();
  await assert.rejects(c.either(() => c.call('GET', '/v1/info'), viaSerf), (e) => isLbaError(e, AgentLost) && /socket hang up|ECONNRESET/.test((e as Error).message));
  assert.ok(Date.now() - started < 10_000);
  assert.equal(c.speaksSerf, false);
  assert.equal(await c.alive(), false);
});

test('a listener that answers garbage to both: the HTTP error, at once', async (t) => {
  const port = await listen(t, (s) => s.on('data', () => s.end(Buffer.from([0xc1, 0xc1, 0xc1, 0x00, 0xff]))));
  const c = new AgentClient(`127.0.0.1:${port}`, '');
  await assert.rejects(c.either(() => c.call('GET', '/v1/info'), viaSerf), (e) => isLbaError(e, AgentLost));
  assert.equal(c.speaksSerf, false);
});

test('a listener that speaks serf\'s handshake: the serf side runs, and later calls go there at once', async (t) => {
  let httpTries = 0;
  const port = await listen(t, (s) => {
    s.once('data', (first: Buffer) => {
      if (first[0] === 0x47) { // "GET": serf closes on a request it cannot decode
        httpTries++;
        return void s.destroy();
      }
      s.write(encode({ Error: '', Seq: 0 })); // the handshake's reply
    });
  });
  const c = new AgentClient(`127.0.0.1:${port}`, '');
  assert.equal(await c.either(() => c.call('GET', '/v1/info'), viaSerf), 'serf');
  assert.equal(await c.either(() => c.call('GET', '/v1/info'), viaSerf), 'serf');
  assert.equal(c.speaksSerf, true);
  assert.equal(httpTries, 1);
});

test('serf member records: IPv4 in Go\'s 16-byte form, IPv6, tags and protocol versions', () => {
  const v4 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 11]);
  const m = serfMemberJson({ Name: Buffer.from('web-1'), Addr: v4, Port: 7946, Status: Buffer.from('alive'), Tags: { role: Buffer.from('web') }, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 }, true);
  assert.deepEqual(m, { name: 'web-1', addr: '10.0.0.11', port: 7946, status: 'alive', tags: { role: 'web' }, protocol: { min: 1, max: 5, cur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 } });
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  assert.equal(serfMemberJson({ Addr: v6 }).addr, '2001:db8::1');
  assert.equal(serfMemberJson({ Addr: Buffer.from([192, 168, 1, 2]) }).addr, '192.168.1.2');
});
