// One health check: connect, maybe send, read, judge. Owns one socket, closed on every outcome.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import type { CheckResult } from './api.js';
import { REASON, errnoText } from './words.js';
import { MAX_CHECK_RESPONSE, parseResponse } from './http-response.js';
import type { StatusMatcher } from './expect-status.js';

/** A compiled regex (RE2 on re2js: linear in what the server answers, whatever the pattern). */
export interface Matcher {
  test(input: string): boolean;
}

/** A check kind with its regexes compiled and its request prepared once, not per check. */
export type PreparedKind =
  | { type: 'tcp' }
  | { type: 'tcp-expect'; send?: Buffer; expect: Matcher; step: number }
  | { type: 'http'; request: Buffer; head: boolean; status: StatusMatcher; body?: Matcher };

export interface ProbeTarget {
  addr: string;
  port: number;
  timeoutMs: number;
  tls?: ConnectionOptions;
}

export interface Probe {
  /** the outcome; undefined when cancelled */
  done: Promise<CheckResult | undefined>;
  cancel(): void;
}

type Outcome = Omit<CheckResult, 'durationMs'>;

export function runProbe(target: ProbeTarget, kind: PreparedKind): Probe {
  const started = performance.now();
  let settle!: (r: CheckResult | undefined) => void;
  const done = new Promise<CheckResult | undefined>((resolve) => (settle = resolve));
  let finished = false;
  let connected = false; // TCP established
  let ready = false; // TLS handshake done too, when TLS
  let received = Buffer.alloc(0);

  const tls = target.tls;
  const socket: Socket = tls
    ? tlsConnect({ ...tls, host: target.addr, port: target.port, servername: tls.servername ?? (isIP(target.addr) ? undefined : target.addr) })
    : netConnect({ host: target.addr, port: target.port });

  const finish = (o: Outcome | undefined) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    settle(o && { ...o, durationMs: Math.round(performance.now() - started) });
  };

  // After an event-loop stall the timer phase runs before the poll phase that would deliver a connect or answer
  // which came in time: judge the timeout only after that I/O is read (setImmediate runs after poll).
  const timer = setTimeout(() => setImmediate(onTimeout), target.timeoutMs);
  const onTimeout = () => {
    if (finished) return;
    if (!connected) finish({ ok: false, reason: REASON.L4TOUT });
    else if (!ready) finish({ ok: false, reason: REASON.L6TOUT });
    else if (kind.type === 'tcp-expect') finish({ ok: false, reason: REASON.L7TOUT, info: ` at step ${kind.step} of tcp-check (expect regex)` });
    else finish({ ok: false, reason: REASON.L7TOUT });
  };

  const onReady = () => {
    connected = true;
    ready = true;
    if (kind.type === 'tcp') finish({ ok: true, reason: tls ? REASON.L6OK : REASON.L4OK });
    else if (kind.type === 'http') socket.write(kind.request);
    else if (kind.send) socket.write(kind.send);
  };

  const judge = (ended: boolean) => {
    if (finished || !ready) return;
    if (kind.type === 'tcp-expect') {
      const text = received.toString('latin1');
      if (kind.expect.test(text)) finish({ ok: true, reason: REASON.L7OK, code: 0, info: '(tcp-check)' });
      // a banner may arrive in pieces: judge a mismatch once a line is complete or nothing more will come
      else if (ended || text.includes('\n') || received.length >= MAX_CHECK_RESPONSE)
        finish({ ok: false, reason: REASON.L7RSP, info: `TCPCHK did not match content (regex) at step ${kind.step}` });
      return;
    }
    if (kind.type !== 'http') return;
    const state = parseResponse(received, ended, kind.head);
    if (!state.done) return;
    if ('invalid' in state) return finish({ ok: false, reason: REASON.L7RSP });
    const { code, reason, body } = state.response;
    if (!kind.status(code)) return finish({ ok: false, reason: REASON.L7STS, code, info: reason });
    if (kind.body && !kind.body.test(body)) return finish({ ok: false, reason: REASON.L7RSP, info: 'HTTP content check did not match' });
    finish({ ok: true, reason: REASON.L7OK, code });
  };

  socket.on('connect', () => {
    connected = true;
    if (!tls) onReady();
  });
  if (tls) socket.on('secureConnect', onReady);
  socket.on('data', (chunk: Buffer) => {
    if (received.length < MAX_CHECK_RESPONSE) {
      received = Buffer.concat([received, chunk]);
      if (received.length > MAX_CHECK_RESPONSE) received = received.subarray(0, MAX_CHECK_RESPONSE);
    }
    judge(false);
  });
  socket.on('end', () => judge(true));
  socket.on('error', (err: Error & { code?: string }) => {
    if (!connected) {
      const suffix = kind.type === 'tcp-expect' ? ' at initial connection step of tcp-check' : '';
      finish({ ok: false, reason: REASON.L4CON, info: errnoText(err) + suffix });
    } else if (!ready) finish({ ok: false, reason: REASON.L6RSP, info: err.message });
    else finish({ ok: false, reason: REASON.L4CON, info: errnoText(err) });
  });
  socket.on('close', () => {
    if (finished) return;
    judge(true);
    // closed before anything could be judged (e.g. during the TLS handshake)
    if (!finished) finish({ ok: false, reason: ready ? REASON.L7RSP : connected ? REASON.L6RSP : REASON.L4CON });
  });

  return { done, cancel: () => finish(undefined) };
}
