// Where access-log lines go, as HAProxy's `log` targets: a syslog server over UDP, or stdout / stderr, framed as
// RFC 3164, RFC 5424 or raw. Never in the way of traffic: a line is handed to the socket and forgotten; when the
// socket errs or too many sends are in flight, lines are dropped and counted (one warning per stall).
import { createSocket, type Socket as UdpSocket, type SocketOptions } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import pino from 'pino';
import type { Logger } from 'pino';

export type SyslogFormat = 'rfc3164' | 'rfc5424' | 'raw';

/** One `log` line of the config, resolved. */
export interface LogTargetDef {
  /** `stdout`, `stderr`, or a syslog server's host and port (UDP) */
  target: { kind: 'stdout' | 'stderr' } | { kind: 'udp'; host: string; port: number };
  /** syslog facility number (local0 = 16) */
  facility: number;
  /** the most verbose severity sent (info = 6: access lines are info) */
  level: number;
  format: SyslogFormat;
  /** HAProxy's `len`: longer lines are cut */
  len: number;
}

export const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'] as const;
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
/** access-log lines, as HAProxy sends them */
export const SEVERITY_INFO = 6;

/** What identifies a sink: targets with the same destination share one socket. */
export function sinkKey(t: LogTargetDef['target']): string {
  return t.kind === 'udp' ? `udp:${t.host}:${t.port}` : t.kind;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOST = hostname().split('.')[0] || '-';
const TAG = 'lbagent';

let headerSec = -1;
let header3164 = '';
/** `Dec  6 18:30:01 host lbagent[pid]: ` (RFC 3164's timestamp: local time, day padded with a space). */
function rfc3164Header(now: number): string {
  const sec = Math.floor(now / 1000);
  if (sec !== headerSec) {
    const d = new Date(sec * 1000);
    const day = String(d.getDate()).padStart(2, ' ');
    const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    header3164 = `${MONTHS[d.getMonth()]} ${day} ${time} ${HOST} ${TAG}[${process.pid}]: `;
    headerSec = sec;
  }
  return header3164;
}

/** The line as the target wants it: `<PRI>` and the format's header, cut to `len`, ending in a newline on streams. */
export function frameLine(t: LogTargetDef, line: string, severity: number, now = Date.now()): string {
  let framed: string;
  const pri = `<${t.facility * 8 + severity}>`;
  if (t.format === 'raw') framed = line;
  else if (t.format === 'rfc5424') framed = `${pri}1 ${new Date(now).toISOString()} ${HOST} ${TAG} ${process.pid} - - ${line}`;
  else framed = pri + rfc3164Header(now) + line;
  if (framed.length > t.len) framed = framed.slice(0, t.len);
  return t.target.kind === 'udp' ? framed : framed + '\n';
}

export interface LogSink {
  write(framed: string): void;
  close(): void;
  /** lines dropped (socket errors, too many in flight) */
  readonly dropped: number;
}

/** A syslog server named by host name is looked up once a minute, not once per line (dgram looks up every send). */
function cachedLookup(): NonNullable<SocketOptions['lookup']> {
  let cached: { address: string; family: number; until: number } | undefined;
  return (hostname, options, callback) => {
    if (isIP(hostname)) return callback(null, hostname, isIP(hostname));
    if (cached && cached.until > Date.now()) return callback(null, cached.address, cached.family);
    // dgram passes the family as a number (4, 6), whatever the type says
    const family = typeof options === 'number' ? (options as number) : options?.family;
    lookup(hostname, { family: family as 4 | 6 | undefined }, (err, address, fam) => {
      if (!err) cached = { address, family: fam, until: Date.now() + 60_000 };
      callback(err, address, fam);
    });
  };
}

/** UDP sends in flight before lines are dropped: a syslog server that cannot keep up never holds memory. */
const MAX_IN_FLIGHT = 1024;

class UdpSink implements LogSink {
  dropped = 0;
  private readonly sock: UdpSocket;
  private inFlight = 0;
  private stalled = false;
  private closed = false;
  private readonly onSent = (err: Error | null) => {
    this.inFlight--;
    if (err) this.drop(err.message);
    else this.stalled = false;
  };

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
  ) {
    this.sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: cachedLookup() });
    this.sock.on('error', (err) => this.drop(err.message));
    this.sock.unref();
  }

  write(framed: string): void {
    if (this.closed || this.inFlight >= MAX_IN_FLIGHT) return this.drop('too many lines in flight');
    this.inFlight++;
    this.sock.send(framed, this.port, this.host, this.onSent);
  }

  private drop(why: string): void {
    this.dropped++;
    if (this.stalled) return;
    this.stalled = true;
    this.log.warn({ target: `${this.host}:${this.port}` }, `log: cannot send to ${this.host}:${this.port} (${why}): dropping access-log lines`);
  }

  close(): void {
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}

/** stdout / stderr: an asynchronous writer of its own (sonic-boom, as pino's), one write per line. */
class StreamSink implements LogSink {
  dropped = 0;
  private broken = false;
  private readonly out: ReturnType<typeof pino.destination>;
  constructor(fd: 1 | 2) {
    this.out = pino.destination({ dest: fd, sync: false });
    // a closed pipe (EPIPE) must not take the process down: its lines are dropped from then on
    this.out.on('error', () => (this.broken = true));
  }
  write(framed: string): void {
    if (this.broken) return void this.dropped++;
    this.out.write(framed);
  }
  close(): void {
    try {
      this.out.flushSync?.();
    } catch {
      // nothing to flush, or the stream is gone
    }
  }
}

/** The sinks of a process, by destination; created on first use, closed with the proxy. */
export class LogSinks {
  private readonly sinks = new Map<string, LogSink>();
  constructor(private readonly log: Logger) {}

  get(t: LogTargetDef['target']): LogSink {
    const key = sinkKey(t);
    let s = this.sinks.get(key);
    if (!s) {
      s = t.kind === 'udp' ? new UdpSink(t.host, t.port, this.log) : new StreamSink(t.kind === 'stdout' ? 1 : 2);
      this.sinks.set(key, s);
    }
    return s;
  }

  /** lines dropped across all sinks */
  get dropped(): number {
    let n = 0;
    for (const s of this.sinks.values()) n += s.dropped;
    return n;
  }

  /** Close the sinks no target uses any more (after a reload), or all. */
  retain(keys: Set<string> = new Set()): void {
    for (const [key, s] of this.sinks) {
      if (keys.has(key)) continue;
      s.close();
      this.sinks.delete(key);
    }
  }
}
