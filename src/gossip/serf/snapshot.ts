// serf's snapshot: an append-only file of member joins and failures and the three Lamport clocks, so a restarted
// node can rejoin the members it knew and not take old events for new ones. Same line format as serf's
// (serf/snapshot.go), so an operator who knows serf recognises it:
//   alive: NAME ADDR:PORT | not-alive: NAME | clock: N | event-clock: N | query-clock: N | leave | # comment
// Rewritten (compacted) to the live picture when it grows past twice the estimated size, as serf does.
// The file is a convenience, never a reason to stop: what cannot be read or written is logged and skipped.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { nodeNameProblem } from '../memberlist/validate.js';
import { errorCode, errorMessage } from '../../errors/index.js';

/** serf: 128 KiB before the first compaction, and 128 bytes per live member after that (times 2). */
export const SNAPSHOT_MIN_COMPACT_SIZE = 128 * 1024;
const BYTES_PER_NODE = 128;
const COMPACTION_THRESHOLD = 2;
const FLUSH_INTERVAL_MS = 500;
const ERROR_RECOVERY_INTERVAL_MS = 30_000;

export interface PreviousNode {
  name: string;
  /** "ip:port" or "[v6]:port", as serf writes it */
  addr: string;
}

export interface SnapshotRecovery {
  /** members alive when the file was last written (ourselves included) */
  alive: PreviousNode[];
  clock: number;
  eventClock: number;
  queryClock: number;
  /** the file ends after a graceful leave (and rejoinAfterLeave kept the members anyway) */
  leftBefore: boolean;
  /** lines that were skipped, "line N: what" (the first few), and how many there were */
  problems: string[];
  problemCount: number;
}

const MAX_PROBLEMS_KEPT = 3;

/** `ip:port` / `[v6]:port` with a real IP and port: what a rejoin can dial. */
export function snapshotAddrOk(addr: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr);
  if (!m) return false;
  const ip = m[1] ?? m[2]!;
  const port = Number(m[3]);
  return (m[1] ? isIP(ip) === 6 : isIP(ip) === 4) && port > 0 && port <= 65535;
}

export function formatSnapshotAddr(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Replay a snapshot's text, as serf's replay: later lines win; a `leave` forgets everything before it unless
 * `rejoinAfterLeave`. Bad lines are skipped and counted; an unterminated last line (a write cut short) is skipped.
 */
export function parseSnapshot(text: string, rejoinAfterLeave: boolean): SnapshotRecovery {
  const alive = new Map<string, string>();
  const r: SnapshotRecovery = { alive: [], clock: 0, eventClock: 0, queryClock: 0, leftBefore: false, problems: [], problemCount: 0 };
  const problem = (n: number, what: string) => {
    r.problemCount++;
    if (r.problems.length < MAX_PROBLEMS_KEPT) r.problems.push(`line ${n}: ${what}`);
  };
  const lines = text.split('\n');
  const last = lines.pop()!; // text after the final newline: '' for a whole file
  const clockValue = (v: string): number | undefined => (/^\d{1,15}$/.test(v) ? Number(v) : undefined);
  lines.forEach((line, i) => {
    const n = i + 1;
    const show = JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
    if (line.startsWith('alive: ')) {
      const info = line.slice(7);
      const sp = info.lastIndexOf(' ');
      const name = sp > 0 ? info.slice(0, sp) : '';
      const addr = info.slice(sp + 1);
      if (!name || nodeNameProblem(name) || !snapshotAddrOk(addr)) return problem(n, `bad alive entry ${show}`);
      alive.set(name, addr);
    } else if (line.startsWith('not-alive: ')) {
      alive.delete(line.slice(11));
    } else if (/^(clock|event-clock|query-clock): /.test(line)) {
      const [key, value] = line.split(': ', 2) as [string, string];
      const v = clockValue(value);
      if (v === undefined) return problem(n, `bad ${key} value ${show}`);
      if (key === 'clock') r.clock = v;
      else if (key === 'event-clock') r.eventClock = v;
      else r.queryClock = v;
    } else if (line === 'leave') {
      r.leftBefore = true;
      if (rejoinAfterLeave) return;
      alive.clear();
      r.clock = r.eventClock = r.queryClock = 0;
    } else if (line.startsWith('coordinate: ') || line.startsWith('#')) {
      // serf's old coordinate lines and comments
    } else if (line === '') {
      // a blank line says nothing
    } else {
      problem(n, `unrecognized line ${show}`);
    }
  });
  if (last !== '') problem(lines.length + 1, 'truncated last line (no newline)');
  r.alive = [...alive].map(([name, addr]) => ({ name, addr }));
  return r;
}

export interface SnapshotterOptions {
  path: string;
  rejoinAfterLeave: boolean;
  /** the member clock's current time (recorded as clock − 1, the last time seen, as serf does) */
  clock: () => number;
  log?: Logger;
  minCompactSize?: number;
}

/**
 * Open (creating its directory) and replay the snapshot. Never throws: a file or directory that cannot be used
 * gives one warning and `snapshotter: undefined` (the node runs without), a file that cannot be read gives an
 * empty recovery.
 */
export function openSnapshot(opts: SnapshotterOptions): { snapshotter?: Snapshotter; recovered: SnapshotRecovery } {
  const { path, log } = opts;
  let recovered = parseSnapshot('', opts.rejoinAfterLeave);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  } catch (err) {
    log?.warn({ file: path }, `serf: snapshot disabled: cannot create directory ${dirname(path)}: ${errorMessage(err)}`);
    return { recovered };
  }
  let readProblem: string | undefined;
  try {
    recovered = parseSnapshot(readFileSync(path, 'utf8'), opts.rejoinAfterLeave);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') readProblem = errorMessage(err);
  }
  if (readProblem) log?.warn({ file: path }, `serf: snapshot ${path} ignored: cannot read it: ${readProblem}`);
  else if (recovered.problemCount) {
    const more = recovered.problemCount > recovered.problems.length ? ` (and ${recovered.problemCount - recovered.problems.length} more)` : '';
    log?.warn({ file: path }, `serf: snapshot ${path}: skipped ${recovered.problemCount} bad line(s): ${recovered.problems.join('; ')}${more}`);
  }
  if (recovered.leftBefore && opts.rejoinAfterLeave) log?.info('serf: Ignoring previous leave in snapshot');
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    log?.warn({ file: path }, `serf: snapshot disabled: cannot open ${path}: ${errorMessage(err)}`);
    return { recovered };
  }
  const snap = new Snapshotter(opts, fd, recovered);
  // A file we could not read or that had bad lines is rewritten from what we kept, so the next start reads clean.
  if (readProblem || recovered.problemCount) snap.compactNow();
  return { snapshotter: snap, recovered };
}

export class Snapshotter {
  private readonly alive = new Map<string, string>();
  private lastClock: number;
  private lastEventClock: number;
  private lastQueryClock: number;
  private pending = '';
  private flushTimer?: NodeJS.Timeout;
  private offset: number;
  private leaving = false;
  private closed = false;
  private lastRecovery = 0;
  private readonly minCompactSize: number;

  constructor(private readonly opts: SnapshotterOptions, private fd: number, recovered: SnapshotRecovery) {
    for (const p of recovered.alive) this.alive.set(p.name, p.addr);
    this.lastClock = recovered.clock;
    this.lastEventClock = recovered.eventClock;
    this.lastQueryClock = recovered.queryClock;
    this.minCompactSize = opts.minCompactSize ?? SNAPSHOT_MIN_COMPACT_SIZE;
    this.offset = sizeOf(opts.path);
  }

  get path(): string {
    return this.opts.path;
  }

  memberAlive(name: string, ip: string, port: number): void {
    if (this.leaving) return;
    const addr = formatSnapshotAddr(ip, port);
    this.alive.set(name, addr);
    this.append(`alive: ${name} ${addr}\n`);
    this.updateClock();
  }

  memberGone(name: string): void {
    if (this.leaving) return;
    this.alive.delete(name);
    this.append(`not-alive: ${name}\n`);
    this.updateClock();
  }

  userEvent(ltime: number): void {
    if (this.leaving || ltime <= this.lastEventClock) return;
    this.lastEventClock = ltime;
    this.append(`event-clock: ${ltime}\n`);
  }

  query(ltime: number): void {
    if (this.leaving || ltime <= this.lastQueryClock) return;
    this.lastQueryClock = ltime;
    this.append(`query-clock: ${ltime}\n`);
  }

  /** Record the member clock if it moved (called on member events and periodically, as serf's clock ticker). */
  updateClock(): void {
    const seen = this.opts.clock() - 1;
    if (seen > this.lastClock) {
      this.lastClock = seen;
      this.append(`clock: ${seen}\n`);
    }
  }

  /** A graceful leave: written at once; the members are kept only if we are to rejoin them. */
  leave(): void {
    if (this.leaving || this.closed) return;
    this.leaving = true;
    if (!this.opts.rejoinAfterLeave) this.alive.clear();
    this.append('leave\n');
    this.flush(true);
  }

  close(): void {
    if (this.closed) return;
    this.updateClock();
    this.flush(true);
    this.closed = true;
    clearTimeout(this.flushTimer);
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
  }

  private append(line: string): void {
    if (this.closed) return;
    this.pending += line;
    // Batched like serf's buffered writer: at most one write per flush interval.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush(false);
    }, FLUSH_INTERVAL_MS).unref();
  }

  private flush(sync: boolean): void {
    if (this.closed || (!this.pending && !sync)) return;
    const data = this.pending;
    this.pending = '';
    try {
      if (data) this.offset += writeSync(this.fd, data);
      if (sync) fsyncSync(this.fd);
      if (this.offset > this.maxSize()) this.compact();
    } catch (err) {
      this.opts.log?.error({ file: this.opts.path }, `serf: Failed to update snapshot: ${errorMessage(err)}`);
      // As serf: a failing file is rebuilt by a compaction, tried at most every 30 s.
      if (Date.now() - this.lastRecovery > ERROR_RECOVERY_INTERVAL_MS) {
        this.lastRecovery = Date.now();
        this.opts.log?.info('serf: Attempting compaction to recover from error...');
        try {
          this.compact();
          this.opts.log?.info('serf: Finished compaction, successfully recovered from error state');
        } catch (e) {
          this.opts.log?.error(`serf: Compaction failed, will reattempt after 30s: ${errorMessage(e)}`);
        }
      }
    }
  }

  private maxSize(): number {
    return Math.max(this.alive.size * BYTES_PER_NODE * COMPACTION_THRESHOLD, this.minCompactSize);
  }

  /** Compact now, logging instead of throwing. */
  compactNow(): void {
    try {
      this.compact();
    } catch (err) {
      this.opts.log?.warn({ file: this.opts.path }, `serf: snapshot compaction failed: ${errorMessage(err)}`);
    }
  }

  /** Write the live picture to PATH.compact, fsync, rename over the file (atomic on POSIX), reopen for append. */
  private compact(): void {
    const tmp = `${this.opts.path}.compact`;
    let text = '';
    for (const [name, addr] of this.alive) text += `alive: ${name} ${addr}\n`;
    text += `clock: ${this.lastClock}\nevent-clock: ${this.lastEventClock}\nquery-clock: ${this.lastQueryClock}\n`;
    if (this.leaving) text += 'leave\n'; // a compaction after our leave must not turn it into "never left"
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.opts.path);
    const next = openSync(this.opts.path, 'a', 0o600);
    try {
      closeSync(this.fd);
    } catch {
      // the old handle may already be broken: that is why we are here
    }
    this.fd = next;
    this.offset = Buffer.byteLength(text);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
