// A monitor or event stream whose client stops reading: lines are dropped once the connection holds the limit
// unsent, so the agent's memory stays bounded; the drop is reported once, and lines flow again once it drains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { DropGate } from '../../src/agent/drop-gate.js';
import { waitFor } from '../helpers/wait.js';

test('a client that stops reading gets lines dropped, not buffered without bound, and then gets them again', async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.pause(); // a monitor that stopped reading
  t.after(() => client.destroy());
  const [agentSide] = await accepted;
  t.after(() => agentSide.destroy());

  const limit = 256 * 1024;
  let reports = 0;
  const gate = new DropGate(() => agentSide.writableLength, () => reports++, limit);
  const line = `${'x'.repeat(1023)}\n`;
  // Far more than the kernel's socket buffers and the limit together.
  for (let i = 0; i < 64 * 1024; i++) if (gate.pass()) agentSide.write(line);
  assert.ok(gate.dropped > 0, 'nothing was dropped');
  assert.ok(agentSide.writableLength < limit + line.length, `${agentSide.writableLength} bytes held unsent`);
  await waitFor('the drop reported', () => reports === 1);

  // The client reads again: once the backlog drains, lines pass, and a new stall is reported anew.
  client.resume();
  await waitFor('the backlog drained', () => agentSide.writableLength === 0);
  const dropped = gate.dropped;
  assert.equal(gate.pass(), true);
  assert.equal(gate.dropped, dropped);
  client.pause();
  for (let i = 0; i < 64 * 1024; i++) if (gate.pass()) agentSide.write(line);
  await waitFor('the second stall reported', () => reports === 2);
});
