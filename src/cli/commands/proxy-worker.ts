// `lbagent proxy-worker`: internal, started by `lbagent balancer` for each of `global.workers` (node:cluster).
import type { Command } from '../command.js';

export const proxyWorker: Command = {
  name: 'proxy-worker',
  hidden: true,
  summary: 'A proxy worker process (started by `lbagent balancer` when global.workers > 1)',
  usage: 'Usage: lbagent proxy-worker (internal: started by lbagent balancer)',
  async run() {
    const { runProxyWorker } = await import('../../proxy/index.js');
    const code = await runProxyWorker();
    // The IPC channel would keep the process alive: leave once the logs are written.
    setImmediate(() => process.exit(code));
    return code;
  },
};
