// A client sending a steady stream of HTTP requests, each on a new connection (as users arriving through a VIP),
// one every INTERVAL ms, each with a TIMEOUT ms deadline. Runs until SIGTERM, then prints one JSON line:
// {ok, failed, firstFailAt, lastFailAt, longestGapMs, failures: [{at, failedAt, why}]} (times in ms since epoch: `at`
// when the request was sent, `failedAt` when it failed). It says
// `steady-client: first answer` on stderr once the first request has succeeded.
// Usage: node steady-client.mjs URL [INTERVAL_MS=20] [TIMEOUT_MS=1000]
import { request } from 'node:http';

const [url, intervalArg, timeoutArg] = process.argv.slice(2);
const interval = Number(intervalArg ?? 20);
const timeout = Number(timeoutArg ?? 1000);
let ok = 0;
let failed = 0;
let lastOk = Date.now();
let longestGapMs = 0;
const failures = [];

function one() {
  const sentAt = Date.now();
  const req = request(url, { agent: false, timeout }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) {
        // said once on stderr, so a test can wait for the stream to be flowing before it acts
        if (ok++ === 0) process.stderr.write('steady-client: first answer\n');
        longestGapMs = Math.max(longestGapMs, sentAt - lastOk);
        lastOk = Math.max(lastOk, sentAt);
      } else fail(sentAt, `status ${res.statusCode}`);
    });
    res.on('error', (err) => fail(sentAt, err.code ?? err.message));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (err) => fail(sentAt, err.code ?? err.message));
  req.end();
}

function fail(at, why) {
  failed++;
  if (failures.length < 1000) failures.push({ at, failedAt: Date.now(), why });
}

const timer = setInterval(one, interval);
process.on('SIGTERM', () => {
  clearInterval(timer);
  // answers still on their way get their own deadline to arrive
  setTimeout(() => {
    const firstFailAt = failures[0]?.at;
    const lastFailAt = failures.at(-1)?.at;
    process.stdout.write(`${JSON.stringify({ ok, failed, firstFailAt, lastFailAt, longestGapMs, failures })}\n`);
    process.exit(0);
  }, timeout + 100);
});
