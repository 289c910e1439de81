// The access log: HAProxy's log-format language (compiled once, rendered per line), httplog and tcplog lines
// sent to a real UDP syslog listener in RFC 5424 and RFC 3164 framing, captured headers, unique ids added to
// the request and logged, dontlognull, config errors at file:line:col, and a line side by side with the one
// Debian's HAProxy writes for the same request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { lbagentBin } from '../helpers/paths.js';
import { join } from 'node:path';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { compileLogFormat, HTTPLOG_FORMAT, renderLogFormat, TCPLOG_FORMAT } from '../../src/proxy/observe/log-format.js';
import type { AccessRecord } from '../../src/proxy/observe/access-record.js';
import { frameLine } from '../../src/proxy/observe/log-sink.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { runHaproxy } from '../helpers/haproxy-process.js';
import { needTool } from '../helpers/tools.js';
import { rawRequest, startBackend, startProxy } from './fixtures.js';

/** A syslog server: every datagram it gets, parsed into PRI and message. */
interface Syslog {
  port: number;
  lines: { pri: number; facility: number; severity: number; header: string; msg: string; raw: string }[];
  close(): void;
}
async function startSyslog(format: 'rfc5424' | 'rfc3164' | 'raw'): Promise<Syslog> {
  const sock: UdpSocket = createSocket('udp4');
  const lines: Syslog['lines'] = [];
  sock.on('message', (m) => {
    const raw = m.toString('utf8');
    if (format === 'raw') return void lines.push({ pri: -1, facility: -1, severity: -1, header: '', msg: raw, raw });
    const re = format === 'rfc5424'
      ? /^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \S+ lbagent \d+ - -) (.*)$/s
      : /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ lbagent\[\d+\]:) (.*)$/s;
    const r = re.exec(raw);
    assert.ok(r, `a ${format} datagram: ${raw}`);
    const pri = Number(r[1]);
    lines.push({ pri, facility: pri >> 3, severity: pri & 7, header: r[2]!, msg: r[3]!, raw });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, lines, close: () => sock.close() };
}

// HAProxy's httplog line, field by field (captures optional, as HAProxy writes them only when configured).
const HTTPLOG_RE =
  /^(?<ci>[\d.]+):(?<cp>\d+) \[(?<tr>\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?<ft>\S+) (?<b>\S+)\/(?<s>\S+) (?<timers>-?\d+\/-?\d+\/-?\d+\/-?\d+\/-?\d+) (?<ST>-?\d+) (?<B>\d+) (?<CC>\S+) (?<CS>\S+) (?<tsc>\S{4}) (?<conns>\d+\/\d+\/\d+\/\d+\/\d+) (?<queues>\d+\/\d+)(?: (?<hr>\{[^}]*\}))?(?: (?<hs>\{[^}]*\}))? "(?<r>[^"]*)"$/;
const TCPLOG_RE =
  /^(?<ci>[\d.]+):(?<cp>\d+) \[(?<t>\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?<ft>\S+) (?<b>\S+)\/(?<s>\S+) (?<timers>-?\d+\/-?\d+\/-?\d+) (?<B>\d+) (?<ts>\S\S) (?<conns>\d+\/\d+\/\d+\/\d+\/\d+) (?<queues>\d+\/\d+)$/;

function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    accepted: Date.UTC(2026, 1, 6, 12, 14, 14, 655), requestAt: Date.UTC(2026, 1, 6, 12, 14, 14, 700), now: Date.UTC(2026, 1, 6, 12, 14, 15, 0),
    client: '10.0.1.2', clientPort: 33317, frontendIp: '127.0.0.1', frontendPort: 8080, frontend: 'http-in', tls: false,
    backend: 'static', server: 'srv1', serverIp: '127.0.0.1', serverPort: 8000,
    timers: { Tq: 10, Tw: 0, Tc: 30, Tr: 69, Tt: 109 }, idle: 45, status: 200, bytesRead: 2750, bytesUploaded: 80,
    termination: '--', cookie: '--', actconn: 1, feconn: 1, beconn: 1, srvconn: 1, retries: 0, srvQueue: 0, backendQueue: 0,
    request: 'GET /index.html HTTP/1.1', method: 'GET', uri: '/index.html?a=1', version: 'HTTP/1.1', counter: 3,
    ...over,
  };
}
const render = (fmt: string, r = record()) => {
  const c = compileLogFormat(fmt);
  assert.ok(c.ok, c.ok ? '' : c.error);
  return renderLogFormat(c.format, r);
};

test('log-format: variables, flags, separators, captures and encodings as HAProxy writes them', () => {
  const line = render(HTTPLOG_FORMAT, record({ reqCaptures: ['1wt.eu', ''], resCaptures: [] }));
  const m = HTTPLOG_RE.exec(line);
  assert.ok(m, line);
  assert.equal(m.groups!.timers, '10/0/30/69/109');
  assert.equal(m.groups!.tsc, '----');
  assert.equal(m.groups!.hr, '{1wt.eu|}');
  assert.equal(m.groups!.hs, undefined, 'no response capture: nothing, and one space, not two');
  assert.equal(m.groups!.CC, '-');
  assert.ok(!line.includes('  '), line);
  assert.equal(render('%ci:%cp %{+Q}b %b %{+Q}ID'), '10.0.1.2:33317 "static" static "-"');
  // %{+X}o sets +X for what follows: HAProxy's classic unique-id format
  assert.equal(render('%{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid'), `0A000102:8225_7F000001:1F90_${Math.floor(record().accepted / 1000).toString(16).toUpperCase()}_0003:${process.pid.toString(16).toUpperCase().padStart(4, '0')}`);
  assert.equal(render('%HM %HU %HP %HQ %HV %ST %B %U %ac/%fc/%bc/%sc/%rc'), 'GET /index.html?a=1 /index.html ?a=1 HTTP/1.1 200 2750 80 1/1/1/1/0');
  assert.equal(render('%Tq/%Th/%Ti/%TR/%Td/%Ta/%Tt'), `55/0/45/10/0/109/${1000 - 655}`);
  assert.equal(render('100%% %{+E}r'), '100% GET /index.html HTTP/1.1');
  assert.equal(render('%{+Q}r', record({ request: 'GET /a"b#c HTTP/1.1' })), '"GET /a#22b#23c HTTP/1.1"', 'request line: #XX for " and #');
  assert.equal(render('%hr', record({ reqCaptures: ['a|b{c}'] })), '{a#7Cb#7Bc#7D}');
  assert.equal(render('%ST %s', record({ status: undefined, server: '<NOSRV>' })), '-1 <NOSRV>');
  assert.equal(render('  %b  %hr  %s  '), 'static srv1 ', 'runs of spaces are one separator, none at the start');
  const t = render('[%t] [%tr] %Ts.%ms');
  assert.match(t, /^\[\d\d\/Feb\/2026:\d\d:14:14\.655\] \[\d\d\/Feb\/2026:\d\d:14:14\.700\] \d+\.655$/);
  assert.equal(render('%T', record()), '06/Feb/2026:12:14:14 +0000');
  // the tcplog format renders to its documented shape
  assert.match(render(TCPLOG_FORMAT, record({ timers: { Tq: -1, Tw: 0, Tc: 1, Tr: -1, Tt: 345 } })), TCPLOG_RE);

  for (const [bad, why] of [
    ['%ci %zz', /unknown log-format variable '%zz'/],
    ['%{+Y}r', /unknown log-format flag '\+Y'/],
    ['%{+Q r', /unterminated flags/],
    ['%[src]', /sample fetches in log-format/],
    ['50% off', /'%' without a variable name/],
  ] as const) {
    const r = compileLogFormat(bad);
    assert.ok(!r.ok, bad);
    assert.match(r.error, why);
  }
});

test('syslog framing: PRI from facility and level, RFC 3164 and 5424 headers, len cuts the line', () => {
  const t = (format: 'rfc3164' | 'rfc5424' | 'raw', len = 1024) => ({ target: { kind: 'udp' as const, host: '127.0.0.1', port: 514 }, facility: 16, level: 7, format, len });
  const now = Date.UTC(2026, 11, 6, 8, 5, 1, 250);
  assert.match(frameLine(t('rfc3164'), 'hello', 6, now), new RegExp(`^<134>Dec  6 \\d\\d:05:01 \\S+ lbagent\\[${process.pid}\\]: hello$`));
  assert.match(frameLine(t('rfc5424'), 'hello', 6, now), new RegExp(`^<134>1 2026-12-06T08:05:01\\.250Z \\S+ lbagent ${process.pid} - - hello$`));
  assert.equal(frameLine(t('raw'), 'hello', 6, now), 'hello');
  assert.equal(frameLine(t('raw', 80), 'x'.repeat(200), 6, now).length, 80);
  assert.equal(frameLine({ ...t('raw'), target: { kind: 'stdout' } }, 'hello', 6, now), 'hello\n');
});

test('config: log targets, options, log_format, unique id and captures in lbagent.yml; a bad one at file:line:col', () => {
  const ok = parseMainConfig('lb.yml', `
global:
  log:
    - { target: 127.0.0.1:514, facility: local0, level: info, format: rfc5424 }
    - { target: stdout, format: raw }
defaults: { log: global, httplog: true, dontlognull: true, unique_id_format: '%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid', unique_id_header: X-Request-ID }
frontends:
  web:
    bind: 127.0.0.1:0
    default_backend: app
    capture: { request: [{ header: Host, len: 32 }], response: [{ header: Content-Type, len: 20 }] }
  quiet: { bind: 127.0.0.1:0, default_backend: app, log: false }
backends: { app: { servers: [] } }
`);
  assert.ok(ok.ok, ok.ok ? '' : ok.errors.map(formatConfigError).join('\n'));
  for (const [yaml, at, what] of [
    ['frontends:\n  web:\n    bind: 127.0.0.1:0\n    default_backend: app\n    log_format: "%ci %Xq"\n', 'lb.yml:5:17', /unknown log-format variable '%Xq' \(at character 5\)/],
    ['global:\n  log:\n    - { target: "127.0.0.1:99999" }\n', 'lb.yml:3:17', /invalid address/],
    ['global:\n  log:\n    - { target: stdout, facility: local9 }\n', 'lb.yml:3:35', /one of kern/],
    ['defaults:\n  log: [{ target: "/dev/log" }]\n', 'lb.yml:2:19', /not supported/],
    ['frontends:\n  web: { bind: 127.0.0.1:0, default_backend: app, capture: { request: [{ header: Host }] } }\n', 'lb.yml:2:', /len/],
  ] as const) {
    const r = parseMainConfig('lb.yml', `${yaml}backends: { app: { servers: [] } }\n`);
    assert.ok(!r.ok, yaml);
    const text = r.errors.map(formatConfigError).join('\n');
    assert.ok(text.includes(at), `${at} in: ${text}`);
    assert.match(text, what);
  }
});

test('access log over UDP syslog: httplog lines with captures, the unique id the server got, tcplog, dontlognull', async (t) => {
  const syslog = await startSyslog('rfc5424');
  t.after(() => syslog.close());
  const app = await startBackend('app', (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`id=${req.headers['x-request-id']}`);
  });
  const echo = await startBackend('echo');
  t.after(() => Promise.all([app.close(), echo.close()]));
  const p = await startProxy(`
global:
  log: [{ target: "127.0.0.1:${syslog.port}", facility: local3, level: info, format: rfc5424 }]
defaults: { httplog: true }
frontends:
  web:
    bind: 127.0.0.1:0
    default_backend: app
    unique_id_format: '%{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid'
    unique_id_header: X-Request-ID
    capture: { request: [{ header: Host, len: 32 }, { header: User-Agent, len: 5 }], response: [{ header: Content-Type, len: 20 }] }
  nul: { bind: 127.0.0.1:0, default_backend: app, dontlognull: true }
  counted: { bind: 127.0.0.1:0, default_backend: app }
  raw: { bind: 127.0.0.1:0, mode: tcp, tcplog: true, default_backend: echo }
  rawnull: { bind: 127.0.0.1:0, mode: tcp, default_backend: echo, dontlognull: true }
  debug-only: { bind: 127.0.0.1:0, default_backend: app, log: [{ target: "127.0.0.1:${syslog.port}", level: notice }] }
  byname: { bind: 127.0.0.1:0, default_backend: app, log: [{ target: "localhost:${syslog.port}", format: rfc5424 }] }
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }] }
  echo: { mode: tcp, servers: [{ name: e1, addr: "127.0.0.1:${echo.port}" }] }
`);
  t.after(() => p.stop());

  const res = await rawRequest(p.port('web'), 'GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.0\r\nConnection: close\r\n\r\n');
  res.socket.destroy();
  assert.equal(res.status, 200);
  const id = /^id=(.*)$/.exec(res.body)![1]!;
  assert.match(id, /^7F000001:[0-9A-F]{4}_7F000001:[0-9A-F]{4}_[0-9A-F]{8}_[0-9A-F]{4}:[0-9A-F]{4,}$/, 'the server got the unique id');
  const web = await waitFor('the web line', () => syslog.lines.find((l) => l.msg.includes(' web ')));
  assert.equal(web.facility, 19, 'local3');
  assert.equal(web.severity, 6, 'info');
  const m = HTTPLOG_RE.exec(web.msg);
  assert.ok(m, web.msg);
  assert.equal(`${m.groups!.b}/${m.groups!.s}`, 'app/s1');
  assert.equal(m.groups!.ST, '200');
  assert.equal(m.groups!.tsc, '----');
  assert.equal(m.groups!.hr, '{example.org|curl/}');
  assert.equal(m.groups!.hs, '{text/plain}');
  assert.equal(m.groups!.r, 'GET /a?b=1 HTTP/1.1');
  assert.equal(m.groups!.conns, '1/1/0/0/0');
  const [ip, port] = [m.groups!.ci, Number(m.groups!.cp)];
  assert.equal(id.split(':')[0], '7F000001');
  assert.equal(parseInt(id.split(':')[1]!.split('_')[0]!, 16), port, `the id carries the client port of the line (${ip}:${port})`);

  // A connection that sends nothing: logged (CR, as HAProxy) unless dontlognull.
  for (const fe of ['nul', 'counted', 'raw', 'rawnull']) {
    await new Promise<void>((r) => {
      const s = connect(p.port(fe), '127.0.0.1', () => s.end());
      s.on('close', () => r());
      s.resume();
    });
  }
  // A TCP session that carries data: tcplog.
  await new Promise<void>((r) => {
    const s = connect(p.port('raw'), '127.0.0.1', () => s.end('GET /tcp HTTP/1.0\r\n\r\n'));
    s.on('close', () => r());
    s.resume();
  });
  // a target named by host name (looked up once, not per line)
  for (let i = 0; i < 3; i++) (await rawRequest(p.port('byname'), 'GET /n HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).socket.destroy();
  await waitFor('three lines through a target named by host name', () => syslog.lines.filter((l) => l.msg.includes(' byname ')).length === 3);
  await rawRequest(p.port('debug-only'), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').then((r) => r.socket.destroy());
  // The last of these to be logged is the TCP session with data; by then the others are in (lines are in order).
  const tcpLines = await waitFor('two raw lines', () => {
    const l = syslog.lines.filter((x) => x.msg.includes(' raw '));
    return l.length === 2 ? l : undefined;
  });
  const counted = await waitFor('the counted line', () => syslog.lines.find((l) => l.msg.includes(' counted ')));
  const cm = HTTPLOG_RE.exec(counted.msg);
  assert.ok(cm, counted.msg);
  assert.equal(`${cm.groups!.b}/${cm.groups!.s} ${cm.groups!.ST} ${cm.groups!.tsc} ${cm.groups!.r}`, 'counted/<NOSRV> 400 CR-- <BADREQ>', 'HAProxy: a null connection is CR, 400, <BADREQ>');
  assert.ok(!syslog.lines.some((l) => l.msg.includes(' nul ')), 'dontlognull: nothing for the null HTTP connection');
  assert.ok(!syslog.lines.some((l) => l.msg.includes(' rawnull ')), 'dontlognull: nothing for the null TCP session');
  assert.ok(!syslog.lines.some((l) => l.msg.includes(' debug-only ')), 'a target at notice gets no info lines');
  const [empty, data] = tcpLines.map((l) => TCPLOG_RE.exec(l.msg));
  assert.ok(empty && data, tcpLines.map((l) => l.msg).join('\n'));
  assert.equal(`${empty.groups!.b}/${empty.groups!.s} ${empty.groups!.B} ${empty.groups!.ts}`, 'echo/e1 0 --');
  assert.equal(data.groups!.ts, '--');
  assert.ok(Number(data.groups!.B) > 0, 'bytes to the client');
});

test('the JSON access log: its fields, msg in the frontend format, the unique id and captures', async (t) => {
  const app = await startBackend('app');
  t.after(() => app.close());
  const lines: Record<string, unknown>[] = [];
  const p = await startProxy(`
frontends:
  web:
    bind: 127.0.0.1:0
    default_backend: app
    log_format: '%ci %b/%s %ST %{+Q}r id=%ID'
    unique_id_format: '%rt-%pid'
    capture: { request: [{ header: Host, len: 8 }] }
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }] }
`, { accessLog: lines });
  t.after(() => p.stop());
  (await rawRequest(p.port('web'), 'GET /j HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n')).socket.destroy();
  const l = await waitFor('the JSON line', () => lines.find((x) => x.access === true));
  assert.equal(l.frontend, 'web');
  assert.equal(l.backend, 'app');
  assert.equal(l.server, 's1');
  assert.equal(l.status, 200);
  assert.equal(l.termination, '--');
  assert.equal(l.request, 'GET /j HTTP/1.1');
  assert.match(String(l.id), new RegExp(`^\\d+-${process.pid}$`));
  assert.deepEqual(l.request_headers, ['example.']);
  assert.equal(l.msg, `127.0.0.1 app/s1 200 "GET /j HTTP/1.1" id=${String(l.id)}`);
});

async function startHaproxy(t: import('node:test').TestContext, appPort: number): Promise<{ port: number; tcpPort: number; logged: string[] }> {
  const dir = tempDir(t, 'lbagent-log-');
  const [port, tcpPort] = [await freePort(), await freePort()];
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, `global
  log stdout format raw local0 info
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend web
  bind 127.0.0.1:${port}
  capture request header Host len 32
  capture request header User-Agent len 5
  capture response header Content-Type len 20
  default_backend app
backend app
  server s1 127.0.0.1:${appPort}
listen raw
  bind 127.0.0.1:${tcpPort}
  mode tcp
  option tcplog
  server s1 127.0.0.1:${appPort}
`);
  const { logged } = await runHaproxy(t, cfg, port);
  return { port, tcpPort, logged };
}

test("httplog beside Debian's HAProxy: the same request gives a line of the same fields, field by field", async (t) => {
  if (!needTool(t, 'haproxy')) return;
  const app = await startBackend('app', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('hello');
  });
  t.after(() => app.close());
  const hap = await startHaproxy(t, app.port);
  const syslog = await startSyslog('raw');
  t.after(() => syslog.close());
  const p = await startProxy(`
frontends:
  web:
    bind: 127.0.0.1:0
    default_backend: app
    log: [{ target: "127.0.0.1:${syslog.port}", facility: local0, format: raw }]
    httplog: true
    capture: { request: [{ header: Host, len: 32 }, { header: User-Agent, len: 5 }], response: [{ header: Content-Type, len: 20 }] }
listen:
  raw:
    bind: 127.0.0.1:0
    mode: tcp
    log: [{ target: "127.0.0.1:${syslog.port}", facility: local0, format: raw }]
    tcplog: true
    servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }]
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }] }
`);
  t.after(() => p.stop());
  const requests = [
    'GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.0\r\nConnection: close\r\n\r\n',
    'GET /x HTTP/1.0\r\n\r\n',
  ];
  for (const [i, req] of requests.entries()) {
    for (const port of [hap.port, p.port('web')]) (await rawRequest(port, req)).socket.destroy();
    // (HAProxy also logs the connection that checked it was listening: a <BADREQ>)
    const theirs = await waitFor("HAProxy's line", () => hap.logged.filter((l) => l.includes('"GET '))[i]);
    const ours = await waitFor('our line', () => syslog.lines[i]?.msg);
    const a = HTTPLOG_RE.exec(theirs);
    const b = HTTPLOG_RE.exec(ours);
    assert.ok(a, `HAProxy's line parses: ${theirs}`);
    assert.ok(b, `our line parses: ${ours}`);
    // Same fields in the same places; what differs by nature (ports, dates, timings, bytes of the response
    // head) is compared by shape.
    for (const k of ['ci', 'ft', 'b', 's', 'ST', 'CC', 'CS', 'tsc', 'conns', 'queues', 'hr', 'hs', 'r'] as const) {
      assert.equal(b.groups![k], a.groups![k], `${k}: ours ${ours}\nHAProxy's ${theirs}`);
    }
    assert.equal(b.groups!.timers.split('/').length, a.groups!.timers.split('/').length);
    assert.equal(ours.split(' ').length, theirs.split(' ').length, `as many fields:\n${ours}\n${theirs}`);
  }

  // tcplog: one TCP session each, the client closing after the answer
  for (const port of [hap.tcpPort, p.port('raw')]) (await rawRequest(port, 'GET /tcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).socket.destroy();
  const theirs = await waitFor("HAProxy's tcplog line", () => hap.logged.find((l) => l.includes(' raw ')));
  const ours = await waitFor('our tcplog line', () => syslog.lines.find((l) => l.msg.includes(' raw '))?.msg);
  const a = TCPLOG_RE.exec(theirs);
  const b = TCPLOG_RE.exec(ours);
  assert.ok(a, `HAProxy's line parses: ${theirs}`);
  assert.ok(b, `our line parses: ${ours}`);
  for (const k of ['ci', 'ft', 'b', 's', 'B', 'ts', 'conns', 'queues'] as const) assert.equal(b.groups![k], a.groups![k], `${k}: ours ${ours}\nHAProxy's ${theirs}`);
});

test('global.workers: every worker sends its lines to the syslog target, tagged with its own pid', async (t) => {
  const { startDataPlane } = await import('../../src/proxy/data-plane.js');
  const { silentLogger } = await import('../../src/log/logger.js');
  const syslog = await startSyslog('rfc5424');
  t.after(() => syslog.close());
  const app = await startBackend('app');
  t.after(() => app.close());
  const port = await freePort();
  const parsed = parseMainConfig('lbagent.yml', `
global:
  workers: 2
  log: [{ target: "127.0.0.1:${syslog.port}", facility: local0, format: rfc5424 }]
admin: { bind: "127.0.0.1:0" }
defaults: { httplog: true }
frontends:
  web: { bind: "127.0.0.1:${port}", default_backend: app }
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }] }
`);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map(formatConfigError).join('\n'));
  const lb = await startDataPlane(parsed.value, silentLogger);
  t.after(() => lb.stop(0));
  let sent = 0;
  const pids = await waitFor('lines from both workers', async () => {
    for (let i = 0; i < 10; i++, sent++) (await rawRequest(port, `GET /w${sent} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).socket.destroy();
    const seen = new Set(syslog.lines.map((l) => Number(l.header.split(' ')[3])));
    return seen.size === 2 ? seen : undefined;
  }, { progress: () => syslog.lines.length });
  assert.ok(!pids.has(process.pid), 'the control process carries no traffic: the lines are the workers');
  await waitFor('a line per request', () => syslog.lines.length === sent);
  for (const l of syslog.lines) assert.match(l.msg, HTTPLOG_RE);
  const paths = syslog.lines.map((l) => HTTPLOG_RE.exec(l.msg)!.groups!.r).sort();
  assert.equal(new Set(paths).size, sent, 'each request once');
});

test('lbagent balancer: `log: stdout` writes the text lines on stdout beside its JSON log; a reload changes the format', async (t) => {
  const app = await startBackend('app');
  t.after(() => app.close());
  const [web, admin] = [await freePort(), await freePort()];
  const dir = tempDir(t, 'lbagent-log-cli-');
  const file = join(dir, 'lbagent.yml');
  const config = (fmt: string) => `
global: { log: [{ target: stdout, format: raw }] }
admin: { bind: "127.0.0.1:${admin}" }
defaults: { httplog: true${fmt} }
frontends:
  web: { bind: "127.0.0.1:${web}", default_backend: app }
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${app.port}" }] }
`;
  writeFileSync(file, config(''));
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  await waitFor('balancer up', () => lines.some((l) => l.includes('Proxy web started')), { timeoutMs: 60_000 });
  (await rawRequest(web, 'GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).socket.destroy();
  const line = await waitFor('the httplog line on stdout', () => lines.find((l) => l.endsWith('"GET /one HTTP/1.1"')));
  assert.match(line, HTTPLOG_RE);
  assert.ok(!lines.some((l) => l.includes('"access":true')), 'with a log target, no JSON access record');

  writeFileSync(file, config(", log_format: 'custom %b/%s %ST %HU'"));
  proc.kill('SIGHUP');
  await waitFor('the reloaded format', async () => {
    (await rawRequest(web, 'GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).socket.destroy();
    return lines.includes('custom app/s1 200 /two');
  });
  proc.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('a syslog target whose sends fail: lines are dropped and counted, one warning per stall, requests unaffected', async () => {
  const { LogSinks } = await import('../../src/proxy/observe/log-sink.js');
  const pino = (await import('pino')).default;
  const warnings: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void warnings.push(String((JSON.parse(l) as { msg: string }).msg)) });
  const sinks = new LogSinks(log);
  // the broadcast address without SO_BROADCAST: the kernel refuses every send (EACCES)
  const sink = sinks.get({ kind: 'udp', host: '255.255.255.255', port: 514 });
  for (let i = 0; i < 5; i++) sink.write(`line ${i}`);
  await waitFor('five drops', () => sink.dropped === 5);
  assert.equal(warnings.filter((w) => w.startsWith('log: cannot send to 255.255.255.255:514')).length, 1, warnings.join('\n'));
  sinks.retain();
});
