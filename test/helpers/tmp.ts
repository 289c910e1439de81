// Temporary directories for tests, removed when their test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new directory under the system's temp dir; `owner` (a test context, or node:test's `after`) removes it. */
export function tempDir(owner: { after(fn: () => void): void } | ((fn: () => void) => void), prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a process of the test may still be writing there: leaving the directory must not fail the test
    }
  };
  if (typeof owner === 'function') owner(remove);
  else owner.after(remove);
  return dir;
}
