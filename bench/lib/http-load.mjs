// A keep-alive HTTP load in its own process (so the process under test does not share an event loop with it).
// argv: PORT CONNS. IPC: {watch: BODY} → replies {body, at} (epoch ms) at the first response with that body;
// {stop: true} → replies {ok, failed, seconds} and exits.
import { Agent, request } from 'node:http';

const [port, conns] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: conns });
const watching = new Set();
let ok = 0;
let failed = 0;
let running = true;
const started = Date.now();

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
        } else failed++;
        resolve();
      });
      res.on('error', () => (failed++, resolve()));
    });
    req.on('error', () => (failed++, resolve()));
    req.end();
  });
}

const workers = Array.from({ length: conns }, async () => {
  while (running) await one();
});
process.on('message', async (m) => {
  if (m.watch !== undefined) watching.add(String(m.watch));
  if (m.stop) {
    running = false;
    await Promise.all(workers);
    process.send({ ok, failed, seconds: (Date.now() - started) / 1000 }, () => process.exit(0));
  }
});
