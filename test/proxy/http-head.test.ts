// The HTTP head parser on its own: where a head ends (whatever the pieces it arrives in), what it notes for the
// forwarder, and what it refuses. The proxy's answers to bad requests are tested end to end in http.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyWalker, FramingError } from '../../src/proxy/http/framing.js';
import { HeadError } from '../../src/errors/index.js';
import { headEnd, MAX_HEADERS, parseRequestHead, parseResponseHead, requestFraming, responseFraming, withoutHopByHop } from '../../src/proxy/http/head.js';

const buf = (s: string) => Buffer.from(s, 'latin1');

function request(text: string) {
  const b = buf(text);
  const end = headEnd(b);
  assert.ok(end > 0, `no head end in ${JSON.stringify(text)}`);
  return parseRequestHead(b, end);
}

function refused(text: string, parse: (b: Buffer, end: number) => unknown = parseRequestHead): number {
  const b = buf(text);
  try {
    parse(b, headEnd(b));
  } catch (err) {
    assert.ok(err instanceof HeadError, String(err));
    return err.status;
  }
  assert.fail(`accepted ${JSON.stringify(text)}`);
}

test('headEnd finds CRLF CRLF at every offset, and only a whole one', () => {
  for (let pad = 0; pad < 12; pad++) {
    const head = `GET /${'a'.repeat(pad)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const b = buf(head + 'body');
    assert.equal(headEnd(b), head.length, `pad ${pad}`);
    assert.equal(headEnd(b.subarray(0, head.length - 1)), -1);
  }
  assert.equal(headEnd(buf('\r\n\r\n')), 4);
  assert.equal(headEnd(buf('a\r\n\r')), -1);
  assert.equal(headEnd(buf('a\n\r\n\r\n')), 6);
  assert.equal(headEnd(buf('')), -1);
  assert.equal(headEnd(buf('\r\n\r')), -1);
});

test('headEnd resumes where it stopped, so a head split anywhere is found at the same offset', () => {
  const head = 'GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n';
  for (let cut = 1; cut < head.length; cut++) {
    const first = buf(head.slice(0, cut));
    const scanned = headEnd(first) < 0 ? first.length : 0;
    assert.equal(headEnd(buf(head), scanned), head.length, `cut at ${cut}`);
  }
});

test('a request head: line, headers as sent, and the facts the forwarder uses', () => {
  const h = request('GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nConnection:  Keep-Alive, Upgrade \r\nUpgrade: websocket\r\nX-Forwarded-Proto: http\r\nContent-Length: 5\r\n\r\n');
  assert.equal(h.method, 'GET');
  assert.equal(h.uri, '/a?b=c');
  assert.equal(h.version, 11);
  assert.deepEqual(h.headers[1], ['Connection', 'Keep-Alive, Upgrade']);
  assert.deepEqual(h.facts.connection, ['keep-alive', 'upgrade']);
  assert.equal(h.facts.upgrade, 'websocket');
  assert.equal(h.facts.forwardedProto, true);
  assert.equal(h.facts.endToEnd, false);
  assert.deepEqual(requestFraming(h), { kind: 'length', length: 5 });
});

test('leading empty lines are skipped; names match in any case; a lone chunked transfer-encoding passes through', () => {
  const h = request('\r\nPOST /up HTTP/1.1\r\nhOsT: a\r\ntransfer-ENCODING: Chunked\r\nX-A:\t v \t\r\n\r\n');
  assert.equal(h.method, 'POST');
  assert.equal(h.facts.hosts, 1);
  assert.deepEqual(h.headers[2], ['X-A', 'v']);
  assert.equal(h.facts.endToEnd, true);
  assert.deepEqual(requestFraming(h), { kind: 'chunked' });
  const g = request('GET / HTTP/1.0\r\n\r\n');
  assert.equal(g.version, 10);
  assert.deepEqual(g.headers, []);
  assert.deepEqual(requestFraming(g), { kind: 'none' });
});

test('content-length: repeated equal values are one length; different or non-numeric ones are refused', () => {
  assert.deepEqual(requestFraming(request('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7, 7\r\n\r\n')), { kind: 'length', length: 7 });
  for (const bad of ['Content-Length: 7\r\nContent-Length: 8', 'Content-Length: +7', 'Content-Length: 0x10', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked\r\nContent-Length: 3']) {
    assert.throws(() => requestFraming(request(`PUT / HTTP/1.1\r\nHost: a\r\n${bad}\r\n\r\n`)), HeadError, bad);
  }
});

test('a repeated or list-valued Content-Length makes the head one to rewrite, not to pass on byte for byte', () => {
  assert.equal(request('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n').facts.endToEnd, true);
  assert.equal(request('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n').facts.endToEnd, false);
  assert.equal(request('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n\r\n').facts.endToEnd, false);
});

test('transfer-encoding: chunked once and last; other codings 422 as HAProxy; never beside a length or in HTTP/1.0', () => {
  const framing = (te: string, version = '1.1') => {
    try {
      return requestFraming(request(`POST / HTTP/${version}\r\nHost: a\r\n${te}\r\n\r\n`)).kind;
    } catch (err) {
      assert.ok(err instanceof HeadError);
      return err.status;
    }
  };
  assert.equal(framing('Transfer-Encoding: chunked'), 'chunked');
  assert.equal(framing('Transfer-Encoding: chunked,'), 'chunked', 'empty list elements are allowed (RFC 9110 5.6.1)');
  assert.equal(framing('Transfer-Encoding: gzip, chunked'), 422);
  assert.equal(framing('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked'), 422);
  for (const bad of ['chunked, chunked', 'chunked\r\nTransfer-Encoding: chunked', 'chunked, gzip', 'identity', 'xchunked', 'chunked;q=1', '']) {
    assert.equal(framing(`Transfer-Encoding: ${bad}`), 400, bad);
  }
  assert.equal(framing('Transfer-Encoding: chunked', '1.0'), 400);
  assert.equal(framing('Transfer-Encoding: chunked\r\nContent-Length: 3'), 400);
});

test('Host: HTTP/1.0 may omit it but not repeat it; an absolute-form target must name the same host', () => {
  assert.equal(request('GET / HTTP/1.0\r\n\r\n').facts.hosts, 0);
  assert.equal(refused('GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n'), 400);
  assert.equal(request('GET http://a/x HTTP/1.0\r\n\r\n').uri, 'http://a/x');
  assert.equal(request('GET http://A:81/x HTTP/1.1\r\nHost: a:81\r\n\r\n').uri, 'http://A:81/x', 'hosts compare without case');
  assert.equal(refused('GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n'), 400);
  assert.equal(refused('GET http://a:81/x HTTP/1.1\r\nHost: a\r\n\r\n'), 400);
  assert.equal(refused('GET https://a@b/x HTTP/1.1\r\nHost: b\r\n\r\n'), 400);
});

test(`at most ${MAX_HEADERS} header lines, as HAProxy`, () => {
  const lines = (n: number) => Array.from({ length: n - 1 }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.equal(request(`GET / HTTP/1.1\r\nHost: a\r\n${lines(MAX_HEADERS)}\r\n`).headers.length, MAX_HEADERS);
  assert.equal(refused(`GET / HTTP/1.1\r\nHost: a\r\n${lines(MAX_HEADERS + 1)}\r\n`), 400);
});

test('Connection removes the headers it names, but never Host or Content-Length', () => {
  const h = request('POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Content-Length, HOST, x-hop\r\nX-Hop: 1\r\nX-End: 2\r\nKeep-Alive: 5\r\nContent-Length: 3\r\n\r\n');
  assert.equal(h.facts.endToEnd, false);
  assert.deepEqual(withoutHopByHop(h.headers, h.facts.connection), [['Host', 'a'], ['X-End', '2'], ['Content-Length', '3']]);
});

test('chunked bodies: size lines and trailers as RFC 9112 writes them, CR LF everywhere, or FramingError', () => {
  const walk = (body: string) => {
    const w = new BodyWalker({ kind: 'chunked' });
    const n = w.feed(buf(body));
    return { n, done: w.done };
  };
  for (const ok of ['5\r\nhello\r\n0\r\n\r\n', '5;a=b\r\nhello\r\n0\r\n\r\n', '5;a="b; c\\"d"\r\nhello\r\n0;x\r\n\r\n', '5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n', 'A\r\n0123456789\r\n0\r\n\r\n']) {
    assert.deepEqual(walk(ok + 'GET'), { n: Buffer.byteLength(ok), done: true }, JSON.stringify(ok));
  }
  for (const bad of ['5 \r\nhello\r\n0\r\n\r\n', ' 5\r\nhello\r\n0\r\n\r\n', '5\nhello\r\n0\r\n\r\n', '5\r\nhello\n0\r\n\r\n', '5\r\nhello\r\n0\n\r\n',
    '0x5\r\nhello\r\n0\r\n\r\n', '-5\r\n', '1000000000000\r\n', '5;a=\0\r\n', '5; a=b\r\n', '5;a="b\r\n', '5\r\nhelloXY0\r\n\r\n', '5\r\nhello\r\n0\r\nbad trailer\r\n\r\n', '5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n']) {
    assert.throws(() => walk(bad), FramingError, JSON.stringify(bad));
  }
});

test('malformed request heads are refused with 400', () => {
  for (const bad of [
    'GET /\r\n\r\n',
    'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n',
    'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
    'G(T / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n folded: v\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n',
    '\r\n\r\n',
  ]) {
    assert.equal(refused(bad), 400, JSON.stringify(bad));
  }
});

test('a response head: status line forms, framing by method and status, and what is refused (502)', () => {
  const r = (text: string) => parseResponseHead(buf(text), headEnd(buf(text)));
  const ok = r('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n');
  assert.equal(ok.status, 200);
  assert.equal(ok.reason, 'OK');
  assert.equal(ok.facts.endToEnd, true);
  assert.deepEqual(responseFraming('GET', ok), { kind: 'length', length: 3 });
  assert.deepEqual(responseFraming('HEAD', ok), { kind: 'none' });
  assert.equal(r('HTTP/1.0 404\r\n\r\n').reason, '');
  assert.equal(r('HTTP/1.1 204 \r\n\r\n').status, 204);
  assert.deepEqual(responseFraming('GET', r('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n')), { kind: 'close' });
  assert.deepEqual(r('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n').facts.connection, ['close']);
  assert.deepEqual(responseFraming('GET', r('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')), { kind: 'chunked' });
  for (const bad of ['HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 2000 OK\r\n\r\n', 'HTTP/1.2 200 OK\r\n\r\n', 'HTTP/1.1 200OK\r\n\r\n', 'HTTP/1.1 200 O\x01K\r\n\r\n', 'ICY 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n']) {
    assert.equal(refused(bad, parseResponseHead), 502, JSON.stringify(bad));
  }
});
