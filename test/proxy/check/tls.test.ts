import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttps } from 'node:https';
import { createHealthCheck, REASON } from '../../../src/proxy/check/index.js';
import type { CheckKind, CheckResult } from '../../../src/proxy/check/api.js';
import { waitFor } from '../../helpers/wait.js';
import { freePort } from '../../helpers/ports.js';
import { httpServer, silentServer } from './servers.js';

function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-check-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstResult(t: { after: (fn: () => void) => void }, port: number, kind: CheckKind, tls: object): () => CheckResult | undefined {
  let first: CheckResult | undefined;
  const check = createHealthCheck({
    backend: 'web', server: 'tls1', addr: '127.0.0.1', port, kind,
    timing: { interMs: 50, rise: 1, fall: 1, timeoutMs: 300 },
    initiallyUp: true, random: () => 0, tls,
    onResult: (r) => (first ??= r),
    onTransition: () => {},
  });
  check.start();
  t.after(() => check.stop());
  return () => first;
}

test('checks over TLS: http and connect-only pass; handshake problems are Layer6', async (t) => {
  const { key, cert } = selfSigned();
  const port = await freePort();
  const https = createHttps({ key, cert }, (req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404);
    res.end('ok');
  });
  await new Promise<void>((resolve) => https.listen(port, '127.0.0.1', resolve));
  t.after(() => {
    https.closeAllConnections();
    https.close();
  });
  const plain = await httpServer((_q, r) => r.end('plain'));
  const silent = await silentServer();
  t.after(() => Promise.all([plain.close(), silent.close()]));

  const trust = { ca: cert, servername: 'localhost' };
  const http = firstResult(t, port, { type: 'http', method: 'GET', path: '/health' }, trust);
  const connectOnly = firstResult(t, port, { type: 'tcp' }, trust);
  const untrusted = firstResult(t, port, { type: 'tcp' }, {});
  const notTls = firstResult(t, plain.port, { type: 'tcp' }, trust);
  const noHandshake = firstResult(t, silent.port, { type: 'tcp' }, trust);
  await waitFor('all checked', () => http() && connectOnly() && untrusted() && notTls() && noHandshake());

  assert.deepEqual([http()!.ok, http()!.reason, http()!.code], [true, REASON.L7OK, 200]);
  assert.deepEqual([connectOnly()!.ok, connectOnly()!.reason], [true, REASON.L6OK]);
  assert.deepEqual([untrusted()!.ok, untrusted()!.reason], [false, REASON.L6RSP]);
  assert.match(untrusted()!.info ?? '', /self.signed/i);
  assert.deepEqual([notTls()!.ok, notTls()!.reason], [false, REASON.L6RSP]);
  assert.deepEqual([noHandshake()!.ok, noHandshake()!.reason], [false, REASON.L6TOUT]);
});

test('unusable TLS options fail the check instead of crashing', async (t) => {
  const port = await freePort();
  const r = firstResult(t, port, { type: 'tcp' }, { minVersion: 'TLSv9' });
  await waitFor('a result', () => r());
  assert.deepEqual([r()!.ok, r()!.reason], [false, REASON.SOCKERR]);
});
