// The connect policy (engine/connect.ts), once for both modes: HAProxy's `retries` with its turn-around delay,
// and a server that became unusable during that delay is not retried: the session picks again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../helpers/ports.js';
import { openSocket, readResponse, startBackend, startProxy } from './fixtures.js';

/** A TCP server that greets each connection with its name and closes. */
async function startGreeter(t: import('node:test').TestContext, name: string): Promise<number> {
  const server: Server = createServer((s) => s.end(`hello from ${name}\n`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('close', () => resolve(out));
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const mode of ['http', 'tcp'] as const) {
  test(`${mode}: a server put in MAINT during the retry delay is not retried; the session picks again`, async (t) => {
    // s1 refuses every connection (nothing listens on its port); s2 is a backup, used once s1 is unusable.
    const dead = await freePort();
    let s2Port: number;
    if (mode === 'http') {
      const s2 = await startBackend('s2');
      t.after(() => s2.close());
      s2Port = s2.port;
    } else s2Port = await startGreeter(t, 's2');
    const access: Record<string, unknown>[] = [];
    // timeout connect 2s: a retry delay of 1s each, 3 retries, so the MAINT below lands inside a delay.
    const lb = await startProxy(
      `
listen:
  app:
    bind: "127.0.0.1:0"
    mode: ${mode}
    retries: 3
    timeout: { connect: 2s }
    servers:
      - { name: s1, addr: "127.0.0.1:${dead}" }
      - { name: s2, addr: "127.0.0.1:${s2Port}", backup: true }
`,
      { accessLog: access },
    );
    t.after(() => lb.stop());
    const s1 = lb.proxy.backend('app').server('s1');
    const sock = await openSocket(lb.port('app'));
    t.after(() => sock.destroy());
    const answer = mode === 'http' ? readResponse(sock).then((r) => `${r.status} ${r.body}`) : readAll(sock);
    if (mode === 'http') sock.write('GET /x HTTP/1.1\r\nHost: a\r\n\r\n');
    await until('the first refused connect', () => s1.failedConns >= 1);
    await lb.proxy.setState('app', 's1', 'maint');
    assert.equal(await answer, mode === 'http' ? '200 s2 /x 0' : 'hello from s2\n');
    await until('the access-log line', () => access.length >= 1);
    const line = access[0]!;
    assert.equal(line.server, 's2');
    assert.ok((line.retries as number) >= 1, `retries ${String(line.retries)}`);
    // MAINT came during a delay: s1 was not tried again after it (its last refusal came before).
    assert.ok(s1.failedConns < 4, `s1 refused ${s1.failedConns} connects`);
  });
}
