// The built-in proxy's HTTP/1.1 request parsing, side by side with HAProxy's: the same raw requests go to both,
// each in front of a server (Node's own HTTP parser) that records every request it parsed. For each row the
// built-in proxy must answer as HAProxy does and hand the server the same requests, or be stricter (refuse what
// HAProxy passed); the table says which. It must never be looser, and the server must never see a request the
// proxy did not log (the signature of request smuggling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { runHaproxy } from '../helpers/haproxy-process.js';
import { needTool } from '../helpers/tools.js';
import { startProxy } from './fixtures.js';


type Verdict = 'equal' | 'stricter';
/** One raw request (or several, pipelined) under test; `$` in the text stands for the row's id, a path segment. */
interface Row { name: string; raw: string; expect: Verdict; /** why the proxy is stricter than HAProxy */ why?: string }

const smuggled = 'GET /$/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const len = (s: string) => Buffer.byteLength(s.replaceAll('$', 'r00'));
const h11 = (extra: string, body = '', method = 'POST', path = '/$/a') => `${method} ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n${body}`;
const chunkedOf = (s: string) => `${len(s).toString(16)}\r\n${s}\r\n0\r\n\r\n`;
const manyHeaders = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}\r\n`).join('');

// Ids are `r` and two digits, so every id has the same length and `len` above counts bodies right.
const ROWS: Row[] = [
  // 1. Connection may remove only hop-by-hop headers: never the framing or the Host.
  { name: 'Connection names Content-Length (body is a second request)', raw: h11(`Connection: content-length\r\nContent-Length: ${len(smuggled)}\r\n`, smuggled), expect: 'equal' },
  { name: 'Connection: close, Content-Length', raw: h11(`Connection: close, Content-Length\r\nContent-Length: ${len(smuggled)}\r\n`, smuggled), expect: 'equal' },
  { name: 'Connection names Transfer-Encoding', raw: h11('Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n', chunkedOf(smuggled)), expect: 'equal' },
  { name: 'Connection names Host', raw: h11('Connection: host\r\n', '', 'GET'), expect: 'equal' },
  { name: 'second Connection header names Content-Length', raw: h11(`Connection: keep-alive\r\nConnection: CONTENT-LENGTH\r\nContent-Length: ${len(smuggled)}\r\n`, smuggled), expect: 'equal' },
  { name: 'Connection names a custom hop-by-hop header', raw: h11('Connection: x-hop\r\nX-Hop: 1\r\n', '', 'GET'), expect: 'equal' },
  // 2. HTTP/1.0
  { name: 'HTTP/1.0 without Host', raw: 'GET /$/a HTTP/1.0\r\n\r\n', expect: 'equal' },
  { name: 'HTTP/1.0 with Host', raw: 'GET /$/a HTTP/1.0\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'HTTP/1.0 keep-alive, two requests', raw: 'GET /$/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /$/b HTTP/1.0\r\n\r\n', expect: 'equal' },
  { name: 'HTTP/1.0 POST with Content-Length', raw: 'POST /$/a HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello', expect: 'equal' },
  { name: 'HTTP/1.0 with Transfer-Encoding: chunked', raw: `POST /$/a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedOf('hello')}`, expect: 'stricter', why: 'RFC 9112 6.1: framing of an HTTP/1.0 message with Transfer-Encoding is faulty' },
  { name: 'HTTP/1.0 with two Host headers', raw: 'GET /$/a HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n', expect: 'equal' },
  // 3. absolute-form targets (RFC 9112 3.2.2)
  { name: 'absolute-form, Host agrees', raw: 'GET http://x/$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'absolute-form, Host disagrees', raw: 'GET http://other/$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'absolute-form, Host disagrees in case only', raw: 'GET http://X/$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'absolute-form with port, Host without', raw: 'GET http://x:8080/$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'absolute-form HTTP/1.0 without Host', raw: 'GET http://x/$/a HTTP/1.0\r\n\r\n', expect: 'equal' },
  { name: 'absolute-form HTTP/1.1 without Host', raw: 'GET http://x/$/a HTTP/1.1\r\n\r\n', expect: 'equal' },
  // 4. Content-Length
  { name: 'two Content-Length, same value', raw: h11('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), expect: 'equal' },
  { name: 'two Content-Length, different values', raw: h11('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), expect: 'equal' },
  { name: 'Content-Length: 5, 5', raw: h11('Content-Length: 5, 5\r\n', 'hello'), expect: 'equal' },
  { name: 'Content-Length: 5, 6', raw: h11('Content-Length: 5, 6\r\n', 'hello!'), expect: 'equal' },
  { name: 'Content-Length: +5', raw: h11('Content-Length: +5\r\n', 'hello'), expect: 'equal' },
  { name: 'Content-Length: -1', raw: h11('Content-Length: -1\r\n', ''), expect: 'equal' },
  { name: 'Content-Length: 0x5', raw: h11('Content-Length: 0x5\r\n', 'hello'), expect: 'equal' },
  { name: 'Content-Length: 5 5', raw: h11('Content-Length: 5 5\r\n', 'hello'), expect: 'equal' },
  { name: 'Content-Length of 20 digits', raw: h11('Content-Length: 99999999999999999999\r\n', 'hello'), expect: 'equal' },
  { name: 'Content-Length empty', raw: h11('Content-Length: \r\n', ''), expect: 'equal' },
  { name: 'Content-Length with leading zeros', raw: h11('Content-Length: 0005\r\n', 'hello'), expect: 'equal' },
  { name: 'body longer than Content-Length: the rest is the next request', raw: h11('Content-Length: 5\r\n', 'hello' + smuggled), expect: 'equal' },
  // 5. Transfer-Encoding, CL.TE / TE.CL / TE.TE
  { name: 'CL.TE: Content-Length then Transfer-Encoding', raw: h11('Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n' + smuggled), expect: 'stricter', why: 'both framings: refused (RFC 9112 6.3 allows it); HAProxy drops the length' },
  { name: 'TE.CL: Transfer-Encoding then Content-Length', raw: h11('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', chunkedOf(smuggled)), expect: 'stricter', why: 'both framings: refused (RFC 9112 6.3 allows it); HAProxy drops the length' },
  { name: 'Transfer-Encoding: chunked, chunked', raw: h11('Transfer-Encoding: chunked, chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'two Transfer-Encoding: chunked headers', raw: h11('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: gzip, chunked', raw: h11('Transfer-Encoding: gzip, chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: chunked, gzip (not last)', raw: h11('Transfer-Encoding: chunked, gzip\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: identity', raw: h11('Transfer-Encoding: identity\r\n', 'hello'), expect: 'equal' },
  { name: 'TE.TE: chunked then a second header x', raw: h11('Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n', chunkedOf(smuggled)), expect: 'equal' },
  { name: 'TE.TE: gzip then chunked in two headers', raw: h11('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: xchunked', raw: h11('Transfer-Encoding: xchunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: Chunked (case)', raw: h11('Transfer-Encoding: Chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding with tab before the value', raw: h11('Transfer-Encoding:\tchunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: chunked with trailing space', raw: h11('Transfer-Encoding: chunked \r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding: chunked;x=1 (parameter)', raw: h11('Transfer-Encoding: chunked;x=1\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding empty', raw: h11('Transfer-Encoding: \r\n', chunkedOf(smuggled)), expect: 'equal' },
  { name: 'Transfer-Encoding with space before the colon', raw: h11('Transfer-Encoding : chunked\r\n', chunkedOf('hello')), expect: 'equal' },
  { name: 'Transfer-Encoding folded (obs-fold)', raw: h11('Transfer-Encoding:\r\n chunked\r\n', chunkedOf('hello')), expect: 'stricter', why: 'obs-fold is refused (RFC 9112 5.2 allows it); HAProxy unfolds' },
  { name: 'Transfer_Encoding (another header) then a pipelined request', raw: h11('Transfer_Encoding: chunked\r\n', smuggled), expect: 'equal' },
  { name: 'Transfer-Encoding: chunked, identity', raw: h11('Transfer-Encoding: chunked, identity\r\n', chunkedOf('hello')), expect: 'equal' },
  // 6. chunked bodies
  { name: 'chunk extension name=value', raw: h11('Transfer-Encoding: chunked\r\n', '5;name=val\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk extension with a quoted string', raw: h11('Transfer-Encoding: chunked\r\n', '5;a="b c"\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk extension with a bare LF (size line ends early)', raw: h11('Transfer-Encoding: chunked\r\n', '5;a\nb\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk extension with a NUL', raw: h11('Transfer-Encoding: chunked\r\n', '5;a=\0\r\nhello\r\n0\r\n\r\n'), expect: 'stricter', why: 'no control character in a chunk extension' },
  { name: 'chunk size not hex', raw: h11('Transfer-Encoding: chunked\r\n', 'g\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk size 0x5', raw: h11('Transfer-Encoding: chunked\r\n', '0x5\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk size -5', raw: h11('Transfer-Encoding: chunked\r\n', '-5\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk size with spaces after it', raw: h11('Transfer-Encoding: chunked\r\n', '5  \r\nhello\r\n0\r\n\r\n'), expect: 'stricter', why: 'chunk lines are forwarded as they are: no white space a server may read otherwise' },
  { name: 'chunk size with a space before it', raw: h11('Transfer-Encoding: chunked\r\n', ' 5\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'oversized chunk size (overflows 64 bits)', raw: h11('Transfer-Encoding: chunked\r\n', '10000000000000005\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'chunk size line ended by a bare LF', raw: h11('Transfer-Encoding: chunked\r\n', '5\nhello\r\n0\r\n\r\n'), expect: 'stricter', why: 'bare LF is refused everywhere' },
  { name: 'chunk data ended by a bare LF', raw: h11('Transfer-Encoding: chunked\r\n', '5\r\nhello\n0\r\n\r\n'), expect: 'stricter', why: 'bare LF is refused everywhere' },
  { name: 'chunk data longer than its size', raw: h11('Transfer-Encoding: chunked\r\n', '3\r\nhello\r\n0\r\n\r\n'), expect: 'equal' },
  { name: 'trailer fields after the last chunk', raw: h11('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n'), expect: 'equal' },
  { name: 'trailer line without a colon', raw: h11('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nbad trailer\r\n\r\n'), expect: 'equal' },
  { name: 'chunked body, then a pipelined request', raw: h11('Transfer-Encoding: chunked\r\n', chunkedOf('hello') + smuggled), expect: 'equal' },
  // 7. heads
  { name: 'bare LF line ends', raw: 'GET /$/a HTTP/1.1\nHost: x\n\n', expect: 'stricter', why: 'bare LF is refused everywhere' },
  { name: 'one header line ended by a bare LF', raw: 'GET /$/a HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n', expect: 'stricter', why: 'bare LF is refused everywhere' },
  { name: 'bare CR inside a value', raw: h11('X-A: a\rb\r\n', '', 'GET'), expect: 'equal' },
  { name: 'NUL inside a value', raw: h11('X-A: a\0b\r\n', '', 'GET'), expect: 'stricter', why: 'HAProxy passes the NUL on, and the server refuses it' },
  { name: 'NUL inside a name', raw: h11('X-\0A: b\r\n', '', 'GET'), expect: 'equal' },
  { name: 'space inside a name', raw: h11('X A: b\r\n', '', 'GET'), expect: 'equal' },
  { name: 'Host with a space before the colon', raw: 'GET /$/a HTTP/1.1\r\nHost : x\r\n\r\n', expect: 'equal' },
  { name: 'header line without a colon', raw: h11('X-A\r\n', '', 'GET'), expect: 'equal' },
  { name: 'obs-fold in an ordinary header', raw: h11('X-A: a\r\n b\r\n', '', 'GET'), expect: 'stricter', why: 'obs-fold is refused (RFC 9112 5.2 allows it); HAProxy unfolds' },
  { name: '100 header lines', raw: h11(manyHeaders(99), '', 'GET'), expect: 'equal' },
  { name: '101 header lines', raw: h11(manyHeaders(100), '', 'GET'), expect: 'equal' },
  { name: '102 header lines', raw: h11(manyHeaders(101), '', 'GET'), expect: 'equal' },
  { name: '150 header lines', raw: h11(manyHeaders(149), '', 'GET'), expect: 'equal' },
  { name: 'two Host headers (HTTP/1.1)', raw: 'GET /$/a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', expect: 'equal' },
  { name: 'no Host (HTTP/1.1)', raw: 'GET /$/a HTTP/1.1\r\n\r\n', expect: 'equal' },
  { name: 'empty Host (HTTP/1.1)', raw: 'GET /$/a HTTP/1.1\r\nHost:\r\n\r\n', expect: 'equal' },
  { name: 'tab between method and target', raw: 'GET\t/$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'stricter', why: 'the request line takes single spaces (RFC 9112 3)' },
  { name: 'two spaces between method and target', raw: 'GET  /$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'stricter', why: 'the request line takes single spaces (RFC 9112 3)' },
  { name: 'lower-case version', raw: 'GET /$/a http/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'HTTP/1.2', raw: 'GET /$/a HTTP/1.2\r\nHost: x\r\n\r\n', expect: 'stricter', why: 'only HTTP/1.0 and HTTP/1.1' },
  { name: 'control character in the target', raw: 'GET /$/a\x01b HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'method with a slash', raw: 'GE/T /$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'empty lines before the request line', raw: '\r\n\r\nGET /$/a HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  // 8. pipelining and the rest
  { name: 'three pipelined GETs', raw: 'GET /$/a HTTP/1.1\r\nHost: x\r\n\r\nGET /$/b HTTP/1.1\r\nHost: x\r\n\r\nGET /$/c HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'POST with a body, then a pipelined GET', raw: h11('Content-Length: 5\r\n', 'hello') + 'GET /$/b HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
  { name: 'GET with a body by Content-Length', raw: h11(`Content-Length: ${len(smuggled)}\r\n`, smuggled, 'GET'), expect: 'equal' },
  { name: 'Expect: 100-continue', raw: h11('Expect: 100-continue\r\nContent-Length: 5\r\n', 'hello'), expect: 'equal' },
  { name: 'Upgrade: h2c is served as HTTP/1.1', raw: h11('Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n', '', 'GET'), expect: 'equal' },
  { name: 'Connection: close, then a second request (ignored)', raw: h11('Connection: close\r\n', '', 'GET') + 'GET /$/b HTTP/1.1\r\nHost: x\r\n\r\n', expect: 'equal' },
];

/** What one proxy did with one row: the statuses the client got, the requests the server parsed. */
interface Outcome { statuses: number[]; seen: string[] }

/** A server that records every request its parser produced, by row id (the first path segment). */
async function startRecorder(): Promise<{ port: number; seen: Map<string, string[]>; close(): Promise<void> }> {
  const seen = new Map<string, string[]>();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const id = /\/(r\d\d)\//.exec(url)?.[1] ?? 'none';
      const body = Buffer.concat(chunks).toString('latin1');
      const list = seen.get(id) ?? [];
      list.push(`${req.method} ${url} HTTP/${req.httpVersion} host=${req.headers.host ?? '-'} body=${JSON.stringify(body)}`);
      seen.set(id, list);
      res.end('ok');
    });
  });
  // A request the server's parser refused counts too: it reached the server in a form the proxy did not mean.
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, sock) => {
    const id = /\/(r\d\d)\//.exec(err.rawPacket?.toString('latin1') ?? '')?.[1] ?? 'none';
    const list = seen.get(id) ?? [];
    list.push(`refused by the server: ${err.code ?? err.message}`);
    seen.set(id, list);
    sock.destroy();
  });
  server.keepAliveTimeout = 30_000;
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/**
 * Send the bytes and read everything until the proxy closes: after its last answer, at `timeout http-keep-alive`
 * (or a cap, for a proxy left waiting). The client does not close its side first: HAProxy may or may not answer
 * pipelined requests after the client's FIN, depending on when the FIN is read.
 */
function exchange(port: number, raw: string): Promise<number[]> {
  return new Promise((resolve) => {
    let text = '';
    const sock = connect({ host: '127.0.0.1', port }, () => sock.write(Buffer.from(raw, 'latin1')));
    const cap = setTimeout(() => sock.destroy(), 20_000);
    sock.on('data', (c: Buffer) => (text += c.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(cap);
      resolve([...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1])));
    });
  });
}

async function startHaproxy(t: import('node:test').TestContext, serverPort: number): Promise<{ port: number; logged: string[] }> {
  const dir = tempDir(t, 'lbagent-diff-');
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, `global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 3s
  timeout server 3s
  timeout http-request 2s
  timeout http-keep-alive 500ms
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${serverPort}
`);
  const { logged } = await runHaproxy(t, cfg, port);
  return { port, logged };
}

/** Run the rows through a proxy, a few at a time (each row has its own id, so they cannot mix). */
async function runAll(port: number, ids: string[]): Promise<Map<string, number[]>> {
  const statuses = new Map<string, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < ROWS.length) {
      const i = next++;
      statuses.set(ids[i]!, await exchange(port, ROWS[i]!.raw.replaceAll('$', ids[i]!)));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return statuses;
}

/** Every request the server parsed has arrived once a last, plain request made its way through. */
async function settle(port: number, recorder: { seen: Map<string, string[]> }): Promise<void> {
  await waitFor('the closing request reaches the server', async () => {
    await exchange(port, 'GET /r99/last HTTP/1.1\r\nHost: x\r\n\r\n');
    return (recorder.seen.get('r99')?.length ?? 0) > 0;
  }, { timeoutMs: 30_000 });
}

function classify(ours: Outcome, theirs: Outcome): Verdict | 'looser' {
  if (JSON.stringify(ours) === JSON.stringify(theirs)) return 'equal';
  // Stricter: the server saw no request HAProxy did not also forward, and every answer of ours that differs is a
  // refusal by the proxy (4xx, or a closed connection with no answer at all).
  const left = [...theirs.seen];
  for (const s of ours.seen) {
    const at = left.indexOf(s);
    if (at < 0) return 'looser';
    left.splice(at, 1);
  }
  if (left.length === 0 && ours.statuses.length === theirs.statuses.length) return 'looser';
  const refusals = ours.statuses.filter((s, i) => s !== theirs.statuses[i]);
  return refusals.every((s) => s >= 400 && s < 500) ? 'stricter' : 'looser';
}

test('HTTP/1.1 parsing: the built-in proxy matches HAProxy or is stricter, and forwards only what it logs', { timeout: 300_000 }, async (t) => {
  if (!needTool(t, 'haproxy')) return;
  assert.ok(ROWS.length >= 60, 'at least 60 rows');
  const ids = ROWS.map((_, i) => `r${String(i).padStart(2, '0')}`);
  assert.ok(ROWS.length < 99, 'ids are two digits, r99 is the closing request');

  const recOurs = await startRecorder();
  const recHap = await startRecorder();
  t.after(() => Promise.all([recOurs.close(), recHap.close()]));
  const access: Record<string, unknown>[] = [];
  const lb = await startProxy(`
defaults: { timeout: { connect: 2s, client: 3s, server: 3s, http-request: 2s, http-keep-alive: 500ms } }
listen: { web: { bind: "127.0.0.1:0", servers: [ { name: s1, addr: "127.0.0.1:${recOurs.port}" } ] } }
`, { accessLog: access });
  t.after(() => lb.stop());
  const hap = await startHaproxy(t, recHap.port);

  const [oursStatus, hapStatus] = await Promise.all([runAll(lb.port('web'), ids), runAll(hap.port, ids)]);
  await Promise.all([settle(lb.port('web'), recOurs), settle(hap.port, recHap)]);

  const counts = { equal: 0, stricter: 0, looser: 0 };
  const wrong: string[] = [];
  const unlogged: string[] = [];
  ROWS.forEach((row, i) => {
    const id = ids[i]!;
    const ours: Outcome = { statuses: oursStatus.get(id)!, seen: recOurs.seen.get(id) ?? [] };
    const theirs: Outcome = { statuses: hapStatus.get(id)!, seen: recHap.seen.get(id) ?? [] };
    const verdict = classify(ours, theirs);
    counts[verdict]++;
    if (verdict !== row.expect) wrong.push(`${id} ${row.name}: ${verdict} (table says ${row.expect})\n    ours:    ${JSON.stringify(ours)}\n    haproxy: ${JSON.stringify(theirs)}`);
    // Each request the server parsed is one the proxy logged, by method and target.
    const logged = access.map((l) => String(l.request)).filter((r) => r.includes(`/${id}/`));
    for (const s of ours.seen) {
      const [method, target] = s.split(' ');
      const at = logged.findIndex((r) => r.startsWith(`${method} `) && r.split(' ')[1]!.endsWith(target!));
      if (at < 0) unlogged.push(`${id} ${row.name}: the server saw '${s}' but the proxy logged ${JSON.stringify(logged)}`);
      else logged.splice(at, 1);
    }
  });
  t.diagnostic(`differential table: ${ROWS.length} rows, ${counts.equal} equal to HAProxy, ${counts.stricter} stricter, ${counts.looser} looser`);
  assert.deepEqual(unlogged, [], 'requests the server saw that the proxy never logged');
  assert.deepEqual(wrong, [], 'rows whose outcome is not what the table says');
  assert.equal(counts.looser, 0);
});
