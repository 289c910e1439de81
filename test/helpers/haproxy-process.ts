// Debian's HAProxy in the foreground on a config a test wrote, for comparing lbagent with it: killed when the test
// ends, ready once `port` accepts, with what it logs to stdout (`log stdout format raw`) as lines.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { waitFor } from './wait.js';

export async function runHaproxy(t: TestContext, cfgFile: string, port: number): Promise<{ logged: string[] }> {
  const logged: string[] = [];
  const hap = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  hap.stdout.on('data', (c: Buffer) => {
    const lines = (partial + c.toString('latin1')).split('\n');
    partial = lines.pop()!;
    logged.push(...lines);
  });
  hap.stderr.resume();
  t.after(() => hap.kill('SIGKILL'));
  await waitFor('haproxy listening', () => new Promise<boolean>((r) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      r(true);
    });
    s.on('error', () => r(false));
  }), { timeoutMs: 30_000 });
  return { logged };
}
