// A keep-alive HTTP load in its own process (so the process under test does not share an event loop with it).
// Failed requests are counted per phase and per cause (HTTP status or socket error code), so a figure says
// which change cost clients requests.
// argv: PORT CONNS. IPC: {watch: BODY} → {body, at} (epoch ms) at the first 200 with that body;
// {phase: NAME} → later requests count under NAME; {stop: true} → {ok, failed, byPhase, seconds} and exits.
import { Agent, request } from 'node:http';

const [port, conns] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: conns });
const watching = new Set();
let ok = 0;
let failed = 0;
let phase = 'start';
/** phase → cause → count */
const byPhase = {};
let running = true;
const started = Date.now();

function fail(cause) {
  failed++;
  const p = (byPhase[phase] ??= {});
  p[cause] = (p[cause] ?? 0) + 1;
}

function one() {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        if (res.statusCode === 200) {
          ok++;
          if (watching.has(body)) {
            watching.delete(body);
            process.send({ body, at: performance.timeOrigin + performance.now() });
          }
        } else fail(String(res.statusCode));
        resolve();
      });
      res.on('error', (e) => (fail(e.code ?? 'error'), resolve()));
    });
    req.on('error', (e) => (fail(e.code ?? 'error'), resolve()));
    req.end();
  });
}

const workers = Array.from({ length: conns }, async () => {
  while (running) await one();
});
process.on('message', async (m) => {
  if (m.watch !== undefined) watching.add(String(m.watch));
  if (m.phase !== undefined) phase = String(m.phase);
  if (m.stop) {
    running = false;
    await Promise.all(workers);
    process.send({ ok, failed, byPhase, seconds: (Date.now() - started) / 1000 }, () => process.exit(0));
  }
});
