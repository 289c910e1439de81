// A real `serf agent` (Debian's serf) for interop tests: fresh ports, killed when the test ends, ready once its RPC
// answers. If serf exits before that, the wait ends at once with serf's own output instead of a 20 s timeout; a
// port taken in the meantime by another process is retried on new ports. Tests call `needTool(t, 'serf')` first
// (skipped without serf locally, failed under CI); these helpers throw with the install hint rather than ENOENT.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { freePort } from './ports.js';
import { GiveUp, waitFor } from './wait.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

export interface SerfAgent {
  name: string;
  /** gossip port (serf's -bind) */
  bind: number;
  rpc: number;
  proc: ChildProcess;
  /** what the agent printed so far */
  output(): string;
}

/** `serf members` against an agent's RPC address (table text, or `-format=json` with extra args). */
export async function serfMembers(rpc: number, ...args: string[]): Promise<string> {
  return (await run(requireTool('serf'), ['members', `-rpc-addr=127.0.0.1:${rpc}`, ...args])).stdout;
}

export async function startSerfAgent(t: TestContext, name: string, args: string[] = [], { timeoutMs = 30_000 } = {}): Promise<SerfAgent> {
  const serf = requireTool('serf');
  for (let attempt = 1; ; attempt++) {
    const [bind, rpc] = [await freePort(), await freePort()];
    const proc = spawn(serf, ['agent', `-node=${name}`, `-bind=127.0.0.1:${bind}`, `-rpc-addr=127.0.0.1:${rpc}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (c) => (out += c));
    proc.stderr!.on('data', (c) => (out += c));
    t.after(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    try {
      await waitFor(`serf ${name} RPC`, async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new GiveUp(`serf agent ${name} exited (${proc.exitCode ?? proc.signalCode}) before its RPC answered:\n${out}`);
        return (await serfMembers(rpc)) !== '';
      }, { timeoutMs });
      return { name, bind, rpc, proc, output: () => out };
    } catch (err) {
      if (attempt < 3 && /address already in use/i.test(out)) continue;
      throw err;
    }
  }
}
