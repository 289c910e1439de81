// Slow start in the built-in proxy (HAProxy's `slowstart`): a server that joins a backend, or comes back UP after
// failing its checks, gets a share of the traffic that grows over the slowstart time; servers there at start do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import { waitFor } from '../helpers/wait.js';
import { startBackend, startProxy } from './fixtures.js';
import { collectStats } from '../../src/proxy/observe/stats.js';
import { statsCsv } from '../../src/proxy/observe/stats-page/csv.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { resolveModel } from '../../src/proxy/model/index.js';
import { BackendRuntime } from '../../src/proxy/engine/backend.js';
import type { ServerRuntime } from '../../src/proxy/engine/server.js';
import { silentLogger } from '../../src/log/logger.js';

/** One keep-alive GET through the proxy; the body names the server ("warm /" or "new /"). */
function get(port: number, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.split(' ')[0]!));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP server answering "NAME /" on a given port (a server that comes back where it was). */
async function listenAt(name: string, port: number): Promise<Server> {
  const server = createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return server;
}

interface Sample {
  /** the joining server's share of full speed when the request was sent */
  warm: number;
  server: string;
}

test('a server that joins ramps its share of requests up over slowstart; static servers start at full speed', async (t) => {
  const warm = await startBackend('warm');
  const fresh = await startBackend('new');
  t.after(() => Promise.all([warm.close(), fresh.close()]));
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    balance: roundrobin
    slowstart: 4s
    servers: [ { name: warm, addr: "127.0.0.1:${warm.port}" } ]
`);
  t.after(() => lb.stop());
  const backend = lb.proxy.backend('web');
  // at process start nothing ramps (HAProxy: no slow start when it starts)
  assert.equal(backend.servers.get('warm')!.warm, 1);
  assert.equal(backend.servers.get('warm')!.slowstartMs, 4000);

  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());
  const port = lb.port('web');
  const samples: Sample[] = [];
  let stop = false;
  let failure: unknown;
  let joined: ServerRuntime | undefined;
  const loops = Array.from({ length: 3 }, async () => {
    while (!stop) {
      const w = joined ? joined.warm : 0;
      try {
        samples.push({ warm: w, server: await get(port, agent) });
      } catch (err) {
        failure = err;
        return;
      }
    }
  });
  t.after(async () => {
    stop = true;
    await Promise.all(loops);
  });
  await waitFor('traffic flowing', () => samples.length >= 20 || failure);
  assert.equal(failure, undefined);
  assert.ok(samples.every((s) => s.server === 'warm'));

  await lb.proxy.setServers('web', [
    { name: 'warm', addr: '127.0.0.1', port: warm.port },
    { name: 'new', addr: '127.0.0.1', port: fresh.port },
  ]);
  joined = backend.servers.get('new')!;
  const joinedAt = joined.warmSince;
  assert.ok(joinedAt !== undefined, 'the joining server slow-starts');
  assert.ok(joined.warm < 0.2, `starts low: ${joined.warm}`);
  // the effective weight shows in /v1/stats and in HAProxy's CSV `weight` while it ramps
  const early = collectStats(lb.proxy).backends[0]!.servers.find((s) => s.name === 'new')!;
  assert.equal(early.weight, 1);
  assert.ok(early.eweight > 0 && early.eweight < 0.2, `eweight ${early.eweight}`);
  assert.match(statsCsv(collectStats(lb.proxy)), /^web,new,(?:[^,]*,){16}1,/m);
  assert.equal(lb.proxy.backend('web').view().servers.find((s) => s.name === 'new')!.eweight! < 0.2, true);

  // Run until the ramp is over and the late window has enough requests (at the machine's own pace).
  const shareOf = (pick: (s: Sample) => boolean) => {
    const xs = samples.filter(pick);
    return { n: xs.length, share: xs.filter((s) => s.server === 'new').length / Math.max(1, xs.length) };
  };
  await waitFor('ramp over, 300 requests at full speed', () => failure || (joined!.warm === 1 && shareOf((s) => s.warm === 1).n >= 300), {
    timeoutMs: 30_000,
    progress: () => samples.length,
  });
  assert.equal(failure, undefined);
  const elapsed = Date.now() - joinedAt;
  assert.ok(elapsed >= 4000, `full speed only after the slowstart time (${elapsed} ms)`);

  const first = shareOf((s) => s.warm > 0 && s.warm <= 0.25);
  const middle = shareOf((s) => s.warm >= 0.45 && s.warm <= 0.7);
  const last = shareOf((s) => s.warm === 1);
  const figures = `early ${first.share.toFixed(3)} (${first.n}), middle ${middle.share.toFixed(3)} (${middle.n}), late ${last.share.toFixed(3)} (${last.n})`;
  t.diagnostic(figures);
  assert.ok(first.n >= 20 && middle.n >= 20, `enough requests in each window: ${figures}`);
  // expected with equal weights: f/(1+f) of the requests, about 0.05-0.2 early, 0.33-0.4 in the middle, 0.5 at the end
  assert.ok(first.share < 0.3, `early share well below half: ${figures}`);
  assert.ok(middle.share > first.share && middle.share < last.share, `the share grows: ${figures}`);
  assert.ok(last.share > 0.4 && last.share < 0.6, `late share about half: ${figures}`);
  assert.equal(collectStats(lb.proxy).backends[0]!.servers.find((s) => s.name === 'new')!.eweight, 1);
});

test('a server that comes back UP after failing its checks slow-starts; per-server slowstart overrides the backend', async (t) => {
  const a = await startBackend('a');
  const b = await startBackend('b');
  const bPort = b.port;
  let back: Server | undefined;
  t.after(() => Promise.all([a.close(), b.close(), back && new Promise((r) => back!.close(r))]));
  const lb = await startProxy(`
listen:
  web:
    bind: "127.0.0.1:0"
    balance: leastconn
    slowstart: 1m
    check: { inter: 100ms, rise: 1, fall: 1 }
    servers:
      - { name: a, addr: "127.0.0.1:${a.port}", check: true }
      - { name: b, addr: "127.0.0.1:${bPort}", check: true, slowstart: 30s, maxconn: 100 }
`);
  t.after(() => lb.stop());
  const s = lb.proxy.backend('web').servers.get('b')!;
  assert.equal(s.slowstartMs, 30_000);
  assert.equal(lb.proxy.backend('web').servers.get('a')!.slowstartMs, 60_000);
  assert.equal(s.warm, 1, 'no ramp at start');
  await b.close();
  await waitFor('b DOWN', () => s.status === 'DOWN');
  assert.equal(s.warmSince, undefined);
  back = await listenAt('b', bPort);
  await waitFor('b UP again', () => s.status === 'UP');
  assert.ok(s.warmSince !== undefined, 'ramping after DOWN → UP');
  assert.ok(s.eweight < 0.1 && s.eweight > 0, `eweight ${s.eweight}`);
  // maxconn ramps too: 100 × 1/20
  assert.equal(s.full, false);
  s.active = 5;
  assert.equal(s.full, true, 'maxconn 100 is 5 in the first step');
  s.active = 0;
  // a DRAIN that ends is no comeback: the ramp does not start again
  const since = s.warmSince;
  lb.proxy.backend('web').setState('b', 'drain');
  lb.proxy.backend('web').setState('b', 'ready');
  assert.equal(s.warmSince, since);
  // MAINT → ready is (HAProxy leaves maintenance slow-starting)
  await waitFor('a step later', () => Date.now() > since + 5);
  lb.proxy.backend('web').setState('b', 'maint');
  lb.proxy.backend('web').setState('b', 'ready');
  assert.ok(s.warmSince! > since);
});

test('static-rr: maxconn ramps, the weight does not (a static algorithm, as in HAProxy)', async (t) => {
  const a = await startBackend('a');
  t.after(() => a.close());
  const lb = await startProxy(`
listen:
  web: { bind: "127.0.0.1:0", balance: static-rr, slowstart: 10s, servers: [] }
`);
  t.after(() => lb.stop());
  await lb.proxy.setServers('web', [{ name: 'a', addr: '127.0.0.1', port: a.port, weight: 10 }]);
  const s = lb.proxy.backend('web').servers.get('a')!;
  assert.ok(s.warm < 1);
  assert.equal(s.eweight, 10);
  // a slowstart of 0 turns it off for a server
  await lb.proxy.setServers('web', [{ name: 'z', addr: '127.0.0.1', port: a.port, slowstart: 0 }]);
  assert.equal(lb.proxy.backend('web').servers.get('z')!.warm, 1);
});

test('a proxy worker ramps in step with its control process (the slow start time comes with the health)', () => {
  const parsed = parseMainConfig('w.yml', 'listen:\n  web: { bind: "127.0.0.1:0", slowstart: 10s, servers: [] }\n');
  assert.ok(parsed.ok);
  const def = resolveModel(parsed.value).backends[0]!;
  const control = new BackendRuntime(def, silentLogger, { sessionsElsewhere: true });
  const worker = new BackendRuntime(def, silentLogger, { externalHealth: true });
  try {
    const spec = [{ name: 'n', addr: '127.0.0.1', port: 1 }];
    control.applyServers(spec);
    const since = control.servers.get('n')!.warmSince!;
    assert.ok(since !== undefined);
    // the worker gets the list, then the health with the control process's start of the ramp
    worker.applyServers(spec);
    assert.equal(worker.servers.get('n')!.warmSince, undefined, 'a worker does not start ramps of its own');
    worker.applyHealth([{ name: 'n', checkUp: true, check: { status: 'none' }, warmSince: since - 5000 }]);
    assert.equal(worker.servers.get('n')!.warm, 0.5, 'half way, as the control process says');
    worker.applyHealth([{ name: 'n', checkUp: true, check: { status: 'none' } }]);
    assert.equal(worker.servers.get('n')!.warm, 1, 'ramp over');
  } finally {
    control.close();
    worker.close();
  }
});
