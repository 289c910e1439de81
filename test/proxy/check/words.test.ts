import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFailedLine,
  checkSucceededLine,
  serverDownLine,
  serverUpLine,
  noServerLine,
  parseExpectStatus,
  REASON,
} from '../../../src/proxy/check/index.js';
import { HealthCounter } from '../../../src/proxy/check/health.js';
import { parseResponse } from '../../../src/proxy/check/http-response.js';

// Expected strings below are lines haproxy 2.6 printed for the same situations.
test('check lines are HAProxy’s, word for word', () => {
  assert.equal(
    checkFailedLine('web', 'web11', { ok: false, reason: REASON.L7STS, code: 404, info: 'Not Found', durationMs: 1 }, { up: true, count: 1, of: 2 }),
    'Health check for server web/web11 failed, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: 1ms, status: 1/2 UP.',
  );
  assert.equal(
    checkFailedLine('web', 'web11', { ok: false, reason: REASON.L7STS, code: 404, durationMs: 8 }, { up: false, count: 0, of: 2 }),
    'Health check for server web/web11 failed, reason: Layer7 wrong status, code: 404, check duration: 8ms, status: 0/2 DOWN.',
  );
  assert.equal(
    checkSucceededLine('web', 'web11', { ok: true, reason: REASON.L7OK, code: 200, durationMs: 0 }, { up: false, count: 1, of: 2 }),
    'Health check for server web/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 0ms, status: 1/2 DOWN.',
  );
  assert.equal(
    checkFailedLine('web', 'web13', { ok: false, reason: REASON.L4CON, info: 'Connection refused', durationMs: 0 }, { up: false, count: 0, of: 2 }),
    'Health check for server web/web13 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms, status: 0/2 DOWN.',
  );
  assert.equal(
    checkSucceededLine('tcpb', 't1', { ok: true, reason: REASON.L7OK, code: 0, info: '(tcp-check)', durationMs: 0 }, { up: true, count: 2, of: 2 }),
    'Health check for server tcpb/t1 succeeded, reason: Layer7 check passed, code: 0, info: "(tcp-check)", check duration: 0ms, status: 2/2 UP.',
  );
  assert.equal(
    checkSucceededLine('l4', 'p1', { ok: true, reason: REASON.L4OK, durationMs: 0 }, { up: true, count: 2, of: 2 }),
    'Health check for server l4/p1 succeeded, reason: Layer4 check passed, check duration: 0ms, status: 2/2 UP.',
  );
  assert.equal(
    checkFailedLine('web', 'b9', { ok: false, reason: REASON.L7TOUT, durationMs: 301 }, { up: false, count: 0, of: 2 }, { backup: true }),
    'Health check for backup server web/b9 failed, reason: Layer7 timeout, check duration: 301ms, status: 0/2 DOWN.',
  );
});

test('server transition lines are HAProxy’s, with and without the reason', () => {
  assert.equal(
    serverDownLine('web', 'web11', 1, 0),
    'Server web/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  assert.equal(
    serverUpLine('web', 'web11', 2, 0),
    'Server web/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  assert.equal(
    serverDownLine('web', 'web15', 2, 0, { result: { ok: false, reason: REASON.L7STS, code: 503, info: 'Busy', durationMs: 1 } }),
    'Server web/web15 is DOWN, reason: Layer7 wrong status, code: 503, info: "Busy", check duration: 1ms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  assert.equal(
    serverUpLine('web', 'web11', 1, 0, { result: { ok: true, reason: REASON.L7OK, code: 200, durationMs: 0 } }),
    'Server web/web11 is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  assert.equal(
    serverDownLine('web', 'b1', 0, 1, { backup: true, sessions: 3, requeued: 2, queued: 1 }),
    'Backup Server web/b1 is DOWN. 0 active and 1 backup servers left. 3 sessions active, 2 requeued, 1 remaining in queue.',
  );
  assert.equal(noServerLine('web'), 'backend web has no server available!');
});

test('rise/fall counter follows HAProxy: x/fall while UP, x/rise while DOWN, jumps at the edges', () => {
  const h = new HealthCounter(2, 3, true);
  const seq: string[] = [];
  const show = () => {
    const v = h.view();
    return `${v.count}/${v.of} ${v.up ? 'UP' : 'DOWN'}`;
  };
  seq.push(show());
  for (const ok of [false, false, true, false, false, false, false, true, false, true, true, true]) {
    const { transition } = h.record(ok);
    seq.push(show() + (transition ? ` (${transition})` : ''));
  }
  assert.deepEqual(seq, [
    '3/3 UP',
    '2/3 UP',
    '1/3 UP',
    '3/3 UP', // a success while still UP restores full health
    '2/3 UP',
    '1/3 UP',
    '0/2 DOWN (down)',
    '0/2 DOWN',
    '1/2 DOWN',
    '0/2 DOWN', // a failure while rising starts over
    '1/2 DOWN',
    '3/3 UP (up)',
    '3/3 UP',
  ]);
  assert.equal(h.record(true).changed, false);
  assert.equal(h.record(false).changed, true);

  const down = new HealthCounter(3, 2, false);
  assert.deepEqual(down.view(), { up: false, count: 0, of: 3 });
  assert.equal(down.record(false).changed, false);
});

test('expect status: single, list, range; default 2xx-3xx; errors say what is expected', () => {
  const m = parseExpectStatus('200-299,304, 418');
  assert.equal(typeof m, 'function');
  const f = m as (c: number) => boolean;
  assert.deepEqual([200, 250, 299, 300, 304, 404, 418].map(f), [true, true, true, false, true, false, true]);
  const d = parseExpectStatus(undefined) as (c: number) => boolean;
  assert.deepEqual([200, 302, 399, 404, 500].map(d), [true, true, true, false, false]);
  for (const bad of ['2xx', '200-', '300-200', '99', '200;204']) {
    const r = parseExpectStatus(bad);
    assert.ok(typeof r !== 'function' && r.expected.includes('200-399'), bad);
  }
});

test('response parser: framing by length, chunked, close; garbage is invalid', () => {
  const p = (s: string, ended = false, head = false) => parseResponse(Buffer.from(s, 'latin1'), ended, head);
  assert.deepEqual(p('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), { done: true, response: { code: 200, reason: 'OK', body: 'ok' } });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok'), { done: false });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n'), {
    done: true,
    response: { code: 200, reason: 'OK', body: 'ok!!!' },
  });
  assert.deepEqual(p('HTTP/1.0 503 Busy\r\n\r\nbye', true), { done: true, response: { code: 503, reason: 'Busy', body: 'bye' } });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', false, true), { done: true, response: { code: 200, reason: 'OK', body: '' } });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\n'), { done: false });
  assert.deepEqual(p('garbage\r\n\r\n'), { done: true, invalid: true });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\n', true), { done: true, invalid: true });
  assert.deepEqual(p('HTTP/1.1 200 OK\r\nbad header\r\n\r\n'), { done: true, invalid: true });
});

test('checkKindError: bad regexes and status lists are reported, good kinds pass', async () => {
  const { checkKindError } = await import('../../../src/proxy/check/index.js');
  assert.equal(checkKindError({ type: 'tcp' }), undefined);
  assert.equal(checkKindError({ type: 'tcp-expect', expect: '^SSH-' }), undefined);
  assert.equal(checkKindError({ type: 'http', method: 'GET', path: '/', expectStatus: '200-399', expectBody: 'ok$' }), undefined);
  assert.match(checkKindError({ type: 'tcp-expect', expect: '(' })!.error, /invalid expect regex/);
  assert.match(checkKindError({ type: 'http', method: 'GET', path: '/', expectBody: '[' })!.error, /invalid body regex/);
  assert.match(checkKindError({ type: 'http', method: 'GET', path: '/', expectStatus: '2xx' })!.error, /invalid status/);
});

test('summarizeResult: the stats form of a result', async () => {
  const { summarizeResult } = await import('../../../src/proxy/check/index.js');
  assert.equal(summarizeResult({ ok: false, reason: REASON.L7STS, code: 404, info: 'Not Found', durationMs: 3 }), 'Layer7 wrong status, code: 404, info: "Not Found"');
  assert.equal(summarizeResult({ ok: true, reason: REASON.L4OK, durationMs: 0 }), 'Layer4 check passed');
});
