// The agent's log, for `monitor` (serf monitor): every line the logger writes at debug or above reaches the tap,
// whatever the agent's own --log-level, as serf's log writer gets every line before the level filter. The last
// 512 lines are kept for a monitor that attaches later (serf keeps as many), then lines go out as written.

export interface LogEntry {
  /** pino's numeric level: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal */
  level: number;
  time: number;
  msg: string;
}

const BACKLOG = 512;

/** serf's level names (logutils) and ours, to pino's numbers. */
const LEVELS: Record<string, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, WARNING: 40, ERR: 50, ERROR: 50, FATAL: 60 };

/** A monitor's minimum level from its name (serf's `-log-level`), or undefined when unknown. */
export function monitorLevel(name: string): number | undefined {
  return LEVELS[name.trim().toUpperCase()];
}

/** serf's log line: `2026/11/23 07:14:00 [INFO] serf: EventMemberJoin: web-1 10.0.0.5`. */
export function formatLogLine(e: LogEntry): string {
  const d = new Date(e.time);
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const level = e.level >= 50 ? 'ERR' : e.level >= 40 ? 'WARN' : e.level >= 30 ? 'INFO' : e.level >= 20 ? 'DEBUG' : 'TRACE';
  return `${stamp} [${level}] ${e.msg}`;
}

export class LogTap {
  private readonly backlog: LogEntry[] = [];
  private readonly subscribers = new Set<{ min: number; fn: (e: LogEntry) => void }>();

  /** pino's destination interface: one JSON line per call. */
  write(line: string): void {
    let entry: LogEntry;
    try {
      const o = JSON.parse(line) as { level?: unknown; time?: unknown; msg?: unknown; err?: { message?: unknown } };
      const msg = typeof o.msg === 'string' ? o.msg : typeof o.err?.message === 'string' ? o.err.message : '';
      entry = { level: typeof o.level === 'number' ? o.level : 30, time: typeof o.time === 'number' ? o.time : Date.now(), msg };
    } catch {
      return; // not a pino line: nothing a monitor could show
    }
    this.backlog.push(entry);
    if (this.backlog.length > BACKLOG) this.backlog.shift();
    for (const s of this.subscribers) {
      if (entry.level < s.min) continue;
      try {
        s.fn(entry);
      } catch {
        // A monitor that fails to take a line must not fail the log call that wrote it.
      }
    }
  }

  /** The kept lines at `min` or above, then each new one; returns the unsubscribe function. */
  subscribe(min: number, fn: (e: LogEntry) => void): () => void {
    for (const e of this.backlog) if (e.level >= min) fn(e);
    const s = { min, fn };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}
