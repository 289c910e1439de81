// A check whose answer came in time is not failed because the event loop was busy when its timer came due:
// after a stall, Node runs due timers before it reads the sockets that became ready during the stall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { runProbe } from '../../../src/proxy/check/probe.js';
import { REASON } from '../../../src/proxy/check/index.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end); // a synchronous stall, as a long GC or a big JSON.parse would make
}

test('a TCP check that connected during an event-loop stall longer than its timeout passes', async (t) => {
  const server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const probe = runProbe({ addr: '127.0.0.1', port, timeoutMs: 20 }, { type: 'tcp' });
  busy(300); // the kernel completes the handshake meanwhile; the 20 ms timer is long due when the loop resumes
  const r = await probe.done;
  assert.equal(r?.ok, true, `got ${r?.reason}`);
  assert.equal(r?.reason, REASON.L4OK);
});

test('a check that really gets no answer still times out', async (t) => {
  // a listener that accepts but never answers an HTTP check: L7 timeout, stall or not
  const server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const status = () => true;
  const probe = runProbe({ addr: '127.0.0.1', port, timeoutMs: 50 }, { type: 'http', request: Buffer.from('GET / HTTP/1.0\r\n\r\n'), head: false, status });
  busy(200);
  const r = await probe.done;
  assert.equal(r?.ok, false);
  assert.equal(r?.reason, REASON.L7TOUT);
});
