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
import { needTool } from '../../helpers/tools.js';
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

// The checks and the servers they talk to share this process's event loop, and a check's timer can fire before
// an answer that arrived during a stall is read (a busy machine can stall the loop for a while; an RSA handshake
// takes real CPU too). So a check that should end by an answer or an error gets a timeout no stall reaches, and
// the one check that is meant to time out gets one long enough that its TCP connect is surely seen first (else
// it would be a Layer4 timeout, not the Layer6 one it tests).
const ANSWER_TIMEOUT_MS = 10_000;
const SILENCE_TIMEOUT_MS = 2_000;

function firstResult(t: { after: (fn: () => void) => void }, port: number, kind: CheckKind, tls: object, timeoutMs = ANSWER_TIMEOUT_MS): () => CheckResult | undefined {
  let first: CheckResult | undefined;
  const check = createHealthCheck({
    backend: 'web', server: 'tls1', addr: '127.0.0.1', port, kind,
    timing: { interMs: 50, rise: 1, fall: 1, timeoutMs },
    initiallyUp: true, random: () => 0, tls,
    onResult: (r) => (first ??= r),
    onTransition: () => {},
  });
  check.start();
  t.after(() => check.stop());
  return () => first;
}

test('checks over TLS: http and connect-only pass; handshake problems are Layer6', async (t) => {
  if (!needTool(t, 'openssl')) return;
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
  const noHandshake = firstResult(t, silent.port, { type: 'tcp' }, trust, SILENCE_TIMEOUT_MS);
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
