// Polling helpers: tests wait for a condition with a generous deadline, never sleep-then-assert.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown by a probe when waiting longer cannot help (the process it waits for has exited): waitFor rethrows it at once. */
export class GiveUp extends Error {}

/**
 * Poll `probe` until it returns a value (not undefined, false or null).
 * With `progress`, the deadline is counted from the last progress instead of from the start: a wait for something
 * that advances at the machine's speed (requests served, bytes read, a process starting up) goes on while
 * `progress()` keeps changing, and fails only when it has stood still for `timeoutMs`. A busy machine makes such a
 * wait longer, never failed; a stuck one still fails.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  { timeoutMs = 20_000, intervalMs = 50, progress }: { timeoutMs?: number; intervalMs?: number; progress?: () => unknown } = {},
): Promise<T> {
  let deadline = Date.now() + timeoutMs;
  let last = progress?.();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (progress) {
      const now = progress();
      if (now !== last) {
        last = now;
        deadline = Date.now() + timeoutMs;
      }
    }
    if (Date.now() > deadline) {
      const suffix = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      const how = progress ? `no progress for ${timeoutMs}ms (last: ${String(last)})` : `timed out after ${timeoutMs}ms`;
      throw new Error(`${how} waiting for ${what}${suffix}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * CPU time (ms, user + system) a process has used so far, from /proc: a `progress` measure for a process that is
 * starting up. A process on a busy machine gets less CPU per second but keeps getting some; one that stopped
 * getting any is waiting for something that will not come. undefined where /proc is missing or the process is gone.
 */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    // fields after the command name (which may contain spaces and parentheses): utime and stime are 14 and 15
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
