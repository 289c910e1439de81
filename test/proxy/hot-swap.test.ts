// THE guarantee: pools change in place under load with zero failed requests, and a removed server gets
// nothing once its removal completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminState, ServerSpec } from '../../src/interfaces/pool-driver.js';
import type { TestContext } from 'node:test';
import { parseMainConfig, type MainConfig } from '../../src/main-config/main.js';
import { startDataPlane } from '../../src/proxy/data-plane.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { openSocket, readResponse, startBackend } from './fixtures.js';

test('200 random pool changes under 50 keep-alive clients: zero failed requests, nothing reaches a removed server', (t) => hotSwap(t, 1));

test('the same with two proxy workers (global.workers: 2): every change is in force in both when it returns', (t) => hotSwap(t, 2));

async function hotSwap(t: TestContext, workers: number): Promise<void> {
  const backends = await Promise.all(Array.from({ length: 6 }, (_, i) => startBackend(`s${i}`)));
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const port = await freePort();
  const parsed = parseMainConfig('lbagent.yml', `
global: { workers: ${workers} }
admin: { bind: "127.0.0.1:0" }
listen:
  web:
    bind: "127.0.0.1:${port}"
    grace: 5s
    timeout: { connect: 2s, client: 20s, server: 20s }
    servers:
${[0, 1, 2].map((i) => `      - { name: s${i}, addr: "127.0.0.1:${backends[i]!.port}" }`).join('\n')}
`);
  assert.ok(parsed.ok);
  const lb = await startDataPlane((parsed as { value: MainConfig }).value, silentLogger);
  t.after(() => lb.stop(0));
  // Removal completed = the server is gone from the view (with workers: every worker finished its sessions).
  const present = async (name: string) => (await lb.proxy.snapshot())[0]!.servers.some((s) => s.name === name);

  // Desired list as the controller would hold it.
  const desired = new Map<string, ServerSpec>();
  for (const i of [0, 1, 2]) desired.set(`s${i}`, { name: `s${i}`, addr: '127.0.0.1', port: backends[i]!.port, weight: 1 });
  const portOf = new Map(backends.map((b, i) => [`s${i}`, b.port]));

  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const client = async () => {
    let sock = await openSocket(port);
    while (running) {
      const p = readResponse(sock);
      sock.write('GET /load HTTP/1.1\r\nHost: x\r\n\r\n');
      try {
        const r = await p;
        if (r.status === 200) ok++;
        else failures.push(`status ${r.status}: ${r.body.slice(0, 80)}`);
        if (r.headers.connection === 'close') {
          sock.destroy();
          sock = await openSocket(port);
        }
      } catch (err) {
        failures.push((err as Error).message);
        sock.destroy();
        sock = await openSocket(port);
      }
    }
    sock.destroy();
  };
  const clients = Array.from({ length: 50 }, () => client());
  await waitFor('load running', () => ok > 200);

  // Windows [removal completed, re-added) per backend port, checked against request arrivals afterwards.
  const forbidden: { name: string; port: number; from: number; to: number }[] = [];
  const openWindow = new Map<string, { name: string; port: number; from: number; to: number }>();
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const ready = () => [...desired.values()].filter((s) => (s.state ?? 'ready') === 'ready');
  const counts = { add: 0, remove: 0, drain: 0, ready: 0, weight: 0 };

  const total = () => Object.values(counts).reduce((a, b) => a + b, 0);
  while (total() < 200) {
    const kind = rand(5);
    if (kind === 0 && desired.size < 6) {
      const free = [...portOf.keys()].filter((n) => !desired.has(n));
      const name = free[rand(free.length)]!;
      desired.set(name, { name, addr: '127.0.0.1', port: portOf.get(name)!, weight: 1 + rand(10) });
      const w = openWindow.get(name);
      if (w) {
        w.to = Date.now();
        openWindow.delete(name);
      }
      await lb.proxy.setServers('web', [...desired.values()]);
      counts.add++;
    } else if (kind === 1 && ready().length > 1) {
      const names = [...desired.keys()];
      const name = names[rand(names.length)]!;
      if ((desired.get(name)!.state ?? 'ready') === 'ready' && ready().length < 2) continue;
      desired.delete(name);
      await lb.proxy.setServers('web', [...desired.values()]);
      await waitFor(`removal of ${name} completed`, async () => !(await present(name)), { intervalMs: 2 });
      const w = { name, port: portOf.get(name)!, from: Date.now(), to: Infinity };
      forbidden.push(w);
      openWindow.set(name, w);
      counts.remove++;
    } else if (kind === 2 && ready().length > 1) {
      const r = ready();
      const s = r[rand(r.length)]!;
      s.state = 'drain';
      await lb.proxy.setState('web', s.name, 'drain');
      counts.drain++;
    } else if (kind === 3) {
      const drained = [...desired.values()].filter((s) => s.state === 'drain');
      if (!drained.length) continue;
      const s = drained[rand(drained.length)]!;
      s.state = 'ready' as AdminState;
      await lb.proxy.setState('web', s.name, 'ready');
      counts.ready++;
    } else {
      const names = [...desired.keys()];
      const s = desired.get(names[rand(names.length)]!)!;
      s.weight = 1 + rand(20);
      await lb.proxy.setWeight('web', s.name, s.weight);
      counts.weight++;
    }
    // Let some traffic flow between changes.
    const before = ok;
    await waitFor('traffic between changes', () => ok > before + 5);
  }
  running = false;
  await Promise.all(clients);

  assert.deepEqual(failures, [], `failed requests (of ${ok} ok)`);
  assert.ok(counts.add > 10 && counts.remove > 10 && counts.drain > 5 && counts.weight > 10, JSON.stringify(counts));
  for (const w of forbidden) {
    const late = backends.find((b) => b.port === w.port)!.seen.filter((r) => r.at > w.from && r.at < w.to);
    assert.equal(late.length, 0, `${w.name} got ${late.length} requests after its removal completed`);
  }
  assert.ok(ok > 1000, `enough load went through (${ok})`);
}
