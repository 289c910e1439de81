// Polling helpers: tests wait for a condition with a generous deadline, never sleep-then-assert.
import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown by a probe when waiting longer cannot help (the process it waits for has exited): waitFor rethrows it at once. */
export class GiveUp extends Error {}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const suffix = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${suffix}`);
    }
    await sleep(intervalMs);
  }
}
