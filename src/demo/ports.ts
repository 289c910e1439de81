// The demo prefers memorable ports (8080, 9901, 8081…) and falls back to any free one when taken.
import { createServer } from 'node:net';

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function anyFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** `wanted` if free (and not already handed out), else a free port from the kernel. */
export async function pickPort(wanted: number | undefined, taken: Set<number>, host = '127.0.0.1'): Promise<number> {
  if (wanted !== undefined && !taken.has(wanted) && (wanted === 0 ? false : await portFree(wanted, host))) {
    taken.add(wanted);
    return wanted;
  }
  for (;;) {
    const p = await anyFreePort(host);
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
}
