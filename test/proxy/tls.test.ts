// TLS: termination with SNI choosing among certificates, X-Forwarded-Proto https, certificates reloaded in place;
// TLS to servers with verify required (a good CA passes, a wrong CA fails the health check, logged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import pino from 'pino';
import { Writable } from 'node:stream';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { BuiltinProxy } from '../../src/proxy/builtin-proxy.js';
import { resolveModel } from '../../src/proxy/model/index.js';
import { makeCa } from '../helpers/certs.js';
import { waitFor } from '../helpers/wait.js';
import { needTool } from '../helpers/tools.js';
import { startBackend } from './fixtures.js';

function tlsRequest(port: number, servername: string, path = '/', extra = ''): Promise<{ cn: string; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const sock: TLSSocket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${servername}\r\n${extra}Connection: close\r\n\r\n`);
    });
    let data = '';
    sock.on('data', (c) => (data += c));
    sock.on('end', () => {
      const cert = sock.getPeerCertificate();
      resolve({ cn: String(cert.subject?.CN ?? ''), body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n'), alpn: sock.alpnProtocol });
    });
    sock.on('error', reject);
  });
}

function load(yaml: string) {
  const r = parseMainConfig('tls.yml', yaml);
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return resolveModel(r.value);
}

test('TLS termination: SNI picks among certificates, default otherwise, X-Forwarded-Proto https, certificates reload in place', async (t) => {
  if (!needTool(t, 'openssl')) return;
  const ca = makeCa(undefined, t);
  const certs = join(ca.dir, 'certs');
  mkdirSync(certs);
  ca.issue('a.example.com', join(certs, 'a.pem'));
  ca.issue('b.example.com', join(certs, 'b.pem'));
  const be = await startBackend('app', (req, res) => res.end(`xfp=${req.headers['x-forwarded-proto']}`));
  t.after(() => be.close());
  const yaml = (crt: string) => `
frontends:
  https:
    bind: "127.0.0.1:0"
    ssl: { crt: "${crt}", default_crt: b.pem }
    default_backend: app
backends:
  app: { servers: [{ name: s1, addr: "127.0.0.1:${be.port}" }] }
`;
  const proxy = new BuiltinProxy(load(yaml(certs)), pino({ level: 'silent' }));
  await proxy.start();
  t.after(() => proxy.stop(0));
  const port = proxy.frontends.get('https')!.addresses()[0]!.port;
  const a = await tlsRequest(port, 'a.example.com', '/', 'X-Forwarded-Proto: http\r\n');
  assert.equal(a.cn, 'a.example.com');
  assert.equal(a.alpn, 'http/1.1');
  assert.equal(a.body, 'xfp=https', 'set on TLS binds, a client-sent value is replaced');
  const b = await tlsRequest(port, 'b.example.com');
  assert.equal(b.cn, 'b.example.com');
  assert.equal(b.body, 'xfp=https', 'added when the client sent none');
  assert.equal((await tlsRequest(port, 'unknown.example.org')).cn, 'b.example.com', 'no match: the default certificate');

  // A reload with a new certificate for a.example.com: the listener stays, new handshakes get the new one.
  const certs2 = join(ca.dir, 'certs2');
  mkdirSync(certs2);
  const other = makeCa('second CA', t);
  other.issue('a.example.com', join(certs2, 'a.pem'));
  copyFileSync(join(certs, 'b.pem'), join(certs2, 'b.pem'));
  await proxy.reload(load(yaml(certs2)));
  assert.equal(proxy.frontends.get('https')!.addresses()[0]!.port, port, 'same listener');
  await waitFor('new certificate served', async () => {
    const sock = connect({ host: '127.0.0.1', port, servername: 'a.example.com', rejectUnauthorized: false });
    const issuer = await new Promise<string>((r) => sock.once('secureConnect', () => r(String(sock.getPeerCertificate().issuer?.CN))));
    sock.destroy();
    return issuer === 'second CA';
  });
});

test('TLS to servers: verify required with the right CA passes, a wrong CA fails the check and is logged', async (t) => {
  if (!needTool(t, 'openssl')) return;
  const ca = makeCa(undefined, t);
  const wrong = makeCa('some other CA', t);
  const pem = readFileSync(ca.issue('localhost'), 'utf8');
  const srv = createHttpsServer({ cert: pem, key: pem }, (req, res) => res.end(`secure ${req.url}`));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))));
  const port = (srv.address() as { port: number }).port;
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const proxy = new BuiltinProxy(
    load(`
frontends:
  web: { bind: "127.0.0.1:0", default_backend: good }
backends:
  good:
    server_ssl: { verify: required, ca_file: "${ca.caFile}", sni: localhost }
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: 10s } # these checks fail by their answer; a loop stalled on a busy machine must not time one out (see health.test.ts)
    servers: [{ name: s1, addr: "127.0.0.1:${port}", check: true }]
  bad:
    server_ssl: { verify: required, ca_file: "${wrong.caFile}", sni: localhost }
    check: { type: http, path: /health, inter: 100ms, rise: 1, fall: 1 }
    timeout: { check: 10s } # these checks fail by their answer; a loop stalled on a busy machine must not time one out (see health.test.ts)
    servers: [{ name: s1, addr: "127.0.0.1:${port}", check: true }]
`),
    log,
  );
  await proxy.start();
  t.after(() => proxy.stop(0));
  const status = async (b: string) => (await proxy.snapshot()).find((x) => x.name === b)!.servers[0]!;
  await waitFor('good server checked over TLS', async () => (await status('good')).check.status === 'passed');
  await waitFor('bad server DOWN', async () => (await status('bad')).status === 'DOWN');
  assert.match((await status('bad')).check.lastResult ?? '', /Layer6|SSL|certificate/i);
  assert.ok(lines.some((l) => /Health check for server bad\/s1 failed/.test(l)), 'the failure is logged in HAProxy\'s words');
  const fePort = proxy.frontends.get('web')!.addresses()[0]!.port;
  const res = await fetch(`http://127.0.0.1:${fePort}/x`);
  assert.equal(await res.text(), 'secure /x', 'traffic goes to the server over verified TLS');
});
