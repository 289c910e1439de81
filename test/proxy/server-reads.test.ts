// How server connections read (src/proxy/server.ts, reader()): a quiet connection must not hold a read buffer of
// its own, since Node hands every socket its next buffer in advance (64 KiB each, pinned by every idle one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ServerRuntime, setConnHandler, type ConnHandler } from '../../src/proxy/server.js';
import { waitFor } from '../helpers/wait.js';

test('idle server connections hold no read buffer of their own, after small reads and after bursts', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const big = Buffer.alloc(200_000, 0x62);
  const peers: Socket[] = [];
  // Each connection gets a small greeting, and every other one a burst larger than a read buffer.
  const server = createServer((s) => {
    peers.push(s);
    s.write(peers.length % 2 ? 'hello' : big);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of peers) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  const rt = new ServerRuntime({ name: 's', addr: '127.0.0.1', port }, 1000);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const n = 200;
  let received = 0;
  const counting: ConnHandler = { data: (c) => ((received += c.length), true), end() {}, timeout() {} };
  const conns: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const c = await rt.connect(5000);
    setConnHandler(c, counting);
    conns.push(c);
  }
  t.after(() => conns.forEach((c) => c.destroy()));
  await waitFor('every greeting and burst read', () => received === (n / 2) * (5 + big.length));
  gc();
  const perConn = (process.memoryUsage().arrayBuffers - before) / n;
  t.diagnostic(`${(perConn / 1024).toFixed(2)} KiB of buffers per idle connection`);
  assert.ok(perConn < 8 * 1024, `${(perConn / 1024).toFixed(1)} KiB of buffers held per idle connection`);
});
