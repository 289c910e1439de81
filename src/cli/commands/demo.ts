// `lbagent demo` (npm run demo): the demo cluster on 127.0.0.1. `--app NAME --port N` runs one of its app
// servers (the demo starts them as child processes so they can be killed one by one).
import { parseArgs } from 'node:util';
import { startAppServer } from '../../demo/index.js';
import { logTail, startDemo } from '../../demo/index.js';
import type { Command } from '../command.js';
import { BadArgument } from '../../errors/index.js';

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function port(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadArgument(`invalid port '${v}'`);
  return n;
}

export const demo: Command = {
  name: 'demo',
  summary: 'Start a demo cluster on 127.0.0.1: one balancer, three app servers with agents',
  usage: [
    'Usage: lbagent demo [--port N] [--admin-port N] [--apps N] [--static] [--verbose]',
    '',
    '  --port N         frontend port (default 8080, or a free one if taken)',
    '  --admin-port N   admin API port (default 9901, or a free one if taken)',
    '  --apps N         number of app servers (default 3)',
    '  --static         give the balancer the app servers as static backends (default: each app server runs',
    '                   its own lbagent agent with role web, joined to the balancer; pools from roles.yml)',
    '  --verbose        the balancer\'s, agents\' and app servers\' logs on this terminal (default: a file each,',
    '                   in the directory the banner names); LBAGENT_LOG_LEVEL sets their level (default info)',
    '  --app NAME --port N [--bind ADDR]   run one app server alone (for a host or container of its own), on every',
    '                   address unless --bind (or --host) says one',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, bind: { type: 'string' }, host: { type: 'string' }, verbose: { type: 'boolean' }, 'admin-port': { type: 'string' }, apps: { type: 'string' }, app: { type: 'string' }, gossip: { type: 'boolean' }, static: { type: 'boolean' } },
      allowPositionals: false,
    });
    if (values.app) {
      const p = port(values.port);
      if (!p) throw new BadArgument('--app needs --port');
      // every address by default: an app server on its own host (or container) is reached from the balancer's
      const server = await startAppServer(values.app, p, values.bind ?? values.host ?? '0.0.0.0');
      await untilSignal();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      return 0;
    }
    const apps = values.apps === undefined ? 3 : Number(values.apps);
    if (!Number.isInteger(apps) || apps < 1 || apps > 20) throw new BadArgument(`invalid --apps '${values.apps}' (1..20)`);
    const signal = untilSignal();
    const d = await startDemo({ port: port(values.port), adminPort: port(values['admin-port']), apps, gossip: values.static !== true, verbose: values.verbose === true });
    const why = await Promise.race([signal, d.exited.then((code) => `balancer exited (${code})`)]);
    process.stdout.write(`\n${why}: stopping the demo\n`);
    // its log is about to go with the demo's directory: show why it stopped
    if (!why.startsWith('SIG') && d.logDir) process.stderr.write(`${logTail(`${d.logDir}/balancer.log`)}\n`);
    await d.stop();
    return why.startsWith('SIG') ? 0 : 1;
  },
};
