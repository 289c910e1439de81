import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHealthCheck, checkFailedLine, checkSucceededLine, REASON, spread } from '../../../src/proxy/check/index.js';
import { parseMainConfig } from '../../../src/main-config/index.js';
import { formatConfigError } from '../../../src/config/index.js';
import { resolveModel } from '../../../src/proxy/model/index.js';
import type { CheckKind, CheckResult, CheckTiming, HealthCheckHandle } from '../../../src/proxy/check/api.js';
import { waitFor } from '../../helpers/wait.js';
import { freePort } from '../../helpers/ports.js';
import { httpServer, silentServer, tcpServer } from './servers.js';

interface Seen {
  results: Array<{ r: CheckResult; status: string; changed?: boolean }>;
  transitions: Array<{ up: boolean; r: CheckResult }>;
  check: HealthCheckHandle;
}

const FAST: CheckTiming = { interMs: 30, rise: 2, fall: 2, timeoutMs: 2000 };

/** A running check whose results the test can watch; stopped when the test ends. */
function watch(t: { after: (fn: () => void) => void }, port: number, kind: CheckKind, o: { timing?: Partial<CheckTiming>; up?: boolean; random?: () => number; tls?: object } = {}): Seen {
  const seen: Seen = { results: [], transitions: [], check: undefined as unknown as HealthCheckHandle };
  seen.check = createHealthCheck({
    backend: 'web',
    server: 'web11',
    addr: '127.0.0.1',
    port,
    kind,
    timing: { ...FAST, ...o.timing },
    initiallyUp: o.up ?? true,
    random: o.random ?? (() => 0),
    tls: o.tls,
    onResult: (r, h) => seen.results.push({ r, status: `${h.count}/${h.of} ${h.up ? 'UP' : 'DOWN'}`, changed: h.changed }),
    onTransition: (up, r) => seen.transitions.push({ up, r }),
  });
  seen.check.start();
  t.after(() => seen.check.stop());
  return seen;
}

const lastResult = (s: Seen) => s.results.at(-1)?.r;

function parseOrThrow(yaml: string) {
  const r = parseMainConfig('lb.yml', yaml);
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.value;
}

test('tcp check: passes, goes DOWN after `fall` refusals, back UP after `rise` successes', async (t) => {
  let srv = await silentServer();
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'tcp' });
  await waitFor('a passed check', () => lastResult(s)?.reason === REASON.L4OK);
  assert.equal(s.check.up, true);
  await srv.close();
  await waitFor('DOWN', () => s.transitions.length === 1);
  assert.equal(s.transitions[0]!.up, false);
  assert.equal(s.check.up, false);
  const failures = s.results.filter((x) => !x.r.ok);
  assert.deepEqual(failures.slice(0, 2).map((x) => x.status), ['1/2 UP', '0/2 DOWN']);
  assert.equal(failures[0]!.r.reason, REASON.L4CON);
  // a check caught in the listener's accept queue while it closes gets a reset instead; later ones are refused
  assert.ok(['Connection refused', 'Connection reset by peer'].includes(failures[0]!.r.info!), failures[0]!.r.info);
  assert.equal(failures[1]!.r.info, 'Connection refused');
  assert.equal(s.transitions[0]!.r, failures[1]!.r);

  srv = await silentServer(srv.port);
  await waitFor('UP again', () => s.transitions.length === 2);
  assert.equal(s.transitions[1]!.up, true);
  const after = s.results.slice(s.results.findIndex((x) => x.r.ok && x.status.endsWith('DOWN')));
  assert.deepEqual(after.slice(0, 2).map((x) => x.status), ['1/2 DOWN', '2/2 UP']);
});

test('http check: wrong status brings it DOWN with HAProxy’s exact line; 200 brings it back', async (t) => {
  let status = 200;
  const srv = await httpServer((_req, res) => {
    res.writeHead(status);
    res.end('ok');
  });
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'http', method: 'GET', path: '/health' }, { timing: { fall: 3 } });
  await waitFor('passed', () => lastResult(s)?.ok === true);
  assert.equal(lastResult(s)!.reason, REASON.L7OK);
  assert.equal(lastResult(s)!.code, 200);
  status = 404;
  await waitFor('DOWN', () => s.transitions.length === 1);
  const fails = s.results.filter((x) => !x.r.ok);
  assert.deepEqual(fails.map((x) => x.status).slice(0, 3), ['2/3 UP', '1/3 UP', '0/2 DOWN']);
  const down = fails[2]!;
  assert.equal(
    checkFailedLine('web', 'web11', down.r, { up: false, count: 0, of: 2 }),
    `Health check for server web/web11 failed, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: ${down.r.durationMs}ms, status: 0/2 DOWN.`,
  );
  status = 200;
  await waitFor('UP', () => s.transitions.length === 2 && s.transitions[1]!.up);
  const rising = s.results.find((x) => x.r.ok && x.status === '1/2 DOWN');
  assert.ok(rising);
  assert.equal(
    checkSucceededLine('web', 'web11', rising.r, { up: false, count: 1, of: 2 }),
    `Health check for server web/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: ${rising.r.durationMs}ms, status: 1/2 DOWN.`,
  );
  // the counter stays put on repeated successes at full health: not "changed"
  await waitFor('a quiet success', () => s.results.at(-1)!.changed === false && s.results.at(-1)!.r.ok);
});

test('http check: method, path, Host and headers reach the server', async (t) => {
  const seen: string[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host} ${req.headers['x-check']}`);
    res.end();
  });
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'http', method: 'head', path: '/ping?x=1', host: 'app.example', headers: { 'X-Check': 'lb' } });
  await waitFor('passed', () => lastResult(s)?.ok === true);
  assert.equal(seen[0], 'HEAD /ping?x=1 app.example lb');
});

test('http check: expected status list and range', async (t) => {
  let status = 418;
  const srv = await httpServer((_req, res) => {
    res.writeHead(status, status === 503 ? 'Busy' : undefined);
    res.end();
  });
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'http', method: 'GET', path: '/', expectStatus: '200-299,418' });
  await waitFor('418 passes', () => lastResult(s)?.ok === true && lastResult(s)!.code === 418);
  status = 503;
  await waitFor('503 fails', () => lastResult(s)?.code === 503);
  assert.equal(lastResult(s)!.reason, REASON.L7STS);
  assert.equal(lastResult(s)!.info, 'Busy');
  status = 204;
  await waitFor('204 passes', () => lastResult(s)?.code === 204 && lastResult(s)!.ok);

  const exact = watch(t, srv.port, { type: 'http', method: 'GET', path: '/', expectStatus: '200' });
  await waitFor('204 is not 200', () => lastResult(exact)?.code === 204);
  assert.equal(lastResult(exact)!.ok, false);
});

test('http check: body regex (rstring) match and mismatch, chunked too', async (t) => {
  let body = 'ok: all good';
  const srv = await httpServer((_req, res) => {
    res.write(body.slice(0, 3)); // no content-length: chunked
    res.end(body.slice(3));
  });
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'http', method: 'GET', path: '/', expectBody: '^ok' });
  await waitFor('match', () => lastResult(s)?.ok === true);
  body = 'status: degraded';
  await waitFor('mismatch', () => lastResult(s)?.ok === false);
  assert.equal(lastResult(s)!.reason, REASON.L7RSP);
  assert.equal(lastResult(s)!.info, 'HTTP content check did not match');
  assert.equal(lastResult(s)!.code, undefined);
});

test('http check: a non-HTTP answer is a Layer7 invalid response', async (t) => {
  const srv = await tcpServer({ reply: () => 'garbage\r\n\r\n' });
  t.after(() => srv.close());
  const s = watch(t, srv.port, { type: 'http', method: 'GET', path: '/' });
  await waitFor('invalid', () => lastResult(s));
  assert.equal(lastResult(s)!.reason, REASON.L7RSP);
  assert.equal(lastResult(s)!.ok, false);
});

test('tcp-expect: banner match, mismatch, send then expect', async (t) => {
  const ssh = await tcpServer({ banner: 'SSH-2.0-OpenSSH_9.6\r\n' });
  const other = await tcpServer({ banner: 'HELLO\r\n' });
  const pingpong = await tcpServer({ reply: (d) => (d === 'PING\r\n' ? 'PONG\r\n' : 'ERR\r\n') });
  t.after(() => Promise.all([ssh.close(), other.close(), pingpong.close()]));
  const a = watch(t, ssh.port, { type: 'tcp-expect', expect: '^SSH-' });
  const b = watch(t, other.port, { type: 'tcp-expect', expect: '^SSH-' });
  const c = watch(t, pingpong.port, { type: 'tcp-expect', send: 'PING\r\n', expect: '^PONG' });
  const d = watch(t, pingpong.port, { type: 'tcp-expect', send: 'HELP\r\n', expect: '^PONG' });
  await waitFor('all checked', () => lastResult(a) && lastResult(b) && lastResult(c) && lastResult(d));
  assert.deepEqual(
    [lastResult(a)!, lastResult(b)!, lastResult(c)!, lastResult(d)!].map((r) => [r.ok, r.reason, r.code, r.info]),
    [
      [true, REASON.L7OK, 0, '(tcp-check)'],
      [false, REASON.L7RSP, undefined, 'TCPCHK did not match content (regex) at step 1'],
      [true, REASON.L7OK, 0, '(tcp-check)'],
      [false, REASON.L7RSP, undefined, 'TCPCHK did not match content (regex) at step 2'],
    ],
  );
});

test('timeouts: a server that accepts but never answers', async (t) => {
  const srv = await silentServer();
  t.after(() => srv.close());
  // Long enough that the TCP connect is seen before the timer fires even when a busy machine stalls this process
  // (or the timeout would be a Layer4 one); short enough for two in a row (fall 2) to be quick.
  const timing = { timeoutMs: 1000, interMs: 50 };
  const h = watch(t, srv.port, { type: 'http', method: 'GET', path: '/' }, { timing });
  const e = watch(t, srv.port, { type: 'tcp-expect', expect: '^SSH-' }, { timing });
  await waitFor('both timed out', () => lastResult(h) && lastResult(e));
  assert.equal(lastResult(h)!.reason, REASON.L7TOUT);
  assert.equal(lastResult(e)!.reason, REASON.L7TOUT);
  assert.equal(lastResult(e)!.info, ' at step 1 of tcp-check (expect regex)');
  assert.ok(lastResult(h)!.durationMs >= 990, `duration ${lastResult(h)!.durationMs}`);
  await waitFor('DOWN after fall timeouts', () => h.transitions.length === 1);
});

test('connection refused; tcp-expect says where', async (t) => {
  const port = await freePort();
  const s = watch(t, port, { type: 'http', method: 'GET', path: '/' }, { up: false });
  const e = watch(t, port, { type: 'tcp-expect', expect: 'x' }, { up: false });
  await waitFor('refused', () => lastResult(s) && lastResult(e));
  assert.deepEqual([lastResult(s)!.reason, lastResult(s)!.info], [REASON.L4CON, 'Connection refused']);
  assert.equal(lastResult(e)!.info, 'Connection refused at initial connection step of tcp-check');
  // already fully DOWN: no transition, counter unchanged
  assert.equal(s.transitions.length, 0);
  assert.equal(s.results[0]!.status, '0/2 DOWN');
  assert.equal(s.results[0]!.changed, false);
});

test('stop() cancels the timer and closes an in-flight check socket', async (t) => {
  const srv = await silentServer();
  const ref = await silentServer();
  t.after(() => Promise.all([srv.close(), ref.close()]));
  const s = watch(t, srv.port, { type: 'http', method: 'GET', path: '/' }, { timing: { timeoutMs: 60_000 } });
  await waitFor('check connected', () => srv.open() === 1);
  s.check.stop();
  await waitFor('socket closed', () => srv.open() === 0);
  // another check on its own timer shows time passing; the stopped one never reports
  const other = watch(t, ref.port, { type: 'tcp' });
  await waitFor('several intervals', () => other.results.length >= 5);
  assert.equal(s.results.length, 0);
  assert.equal(srv.open(), 0);
});

test('first check is spread within inter; retime() applies at once', async (t) => {
  const srv = await silentServer();
  t.after(() => srv.close());
  const started = Date.now();
  const s = watch(t, srv.port, { type: 'tcp' }, { timing: { interMs: 400 }, random: () => 0.5 });
  await waitFor('first check', () => s.results.length === 1);
  assert.ok(Date.now() - started >= 195, 'first check waited half of inter');

  const slow = watch(t, srv.port, { type: 'tcp' }, { timing: { interMs: 600_000 } });
  await waitFor('first check', () => slow.results.length === 1);
  slow.check.retime({ ...FAST, interMs: 20 });
  await waitFor('checks at the new interval', () => slow.results.length >= 3);
});

test('fastinter while rising, downinter while DOWN', async (t) => {
  const up = await silentServer();
  const downPort = await freePort();
  t.after(() => up.close());
  const rising = watch(t, up.port, { type: 'tcp' }, { up: false, timing: { interMs: 600_000, fastinterMs: 20, rise: 3 } });
  await waitFor('UP via fastinter', () => rising.transitions.length === 1);
  assert.deepEqual(rising.results.map((x) => x.status), ['1/3 DOWN', '2/3 DOWN', '2/2 UP']);
  const down = watch(t, downPort, { type: 'tcp' }, { up: false, timing: { interMs: 600_000, downinterMs: 20 } });
  await waitFor('checks at downinter', () => down.results.length >= 3);
});

test('spread-checks: each interval moves by up to the percentage either way, from global.spread_checks (default 5)', async (t) => {
  assert.equal(spread(1000, 10, () => 0), 900);
  assert.equal(spread(1000, 10, () => 1), 1100);
  assert.equal(spread(1000, 10, () => 0.5), 1000);
  assert.equal(spread(1000, 0, () => 0), 1000, 'spread_checks 0: HAProxy\'s lockstep');
  assert.equal(spread(1, 50, () => 0), 1, 'never below 1 ms');
  // the running check takes its intervals from it: a random source at 1 makes every interval 50 % longer
  const srv = await silentServer();
  t.after(() => srv.close());
  const t0 = Date.now();
  const s = watch(t, srv.port, { type: 'tcp' }, { timing: { interMs: 200, spreadPct: 50 }, random: () => 1 });
  await waitFor('four checks', () => s.results.length >= 4, { timeoutMs: 20_000, intervalMs: 5 });
  // the first check waits one interval (random 1), then three intervals of 300 ms: 1100 ms at least (800 without spread)
  assert.ok(Date.now() - t0 >= 1050, `four checks after ${Date.now() - t0} ms`);
  const model = resolveModel(parseOrThrow('global: { spread_checks: 20 }\nbackends: { a: {} }\nfrontends: { f: { bind: 127.0.0.1:0, default_backend: a } }\n'));
  assert.equal(model.backends[0]!.spreadChecksPct, 20);
  assert.equal(resolveModel(parseOrThrow('backends: { a: {} }\nfrontends: { f: { bind: 127.0.0.1:0, default_backend: a } }\n')).backends[0]!.spreadChecksPct, 5);
});
