import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient, isAnswer, serfLogLevel } from '../../agent/index.js';
import { str } from '../../wire/msgpack/index.js';
import { isLbaError, NoAgent } from '../../errors/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';

export const monitorCommand: Command = {
  name: 'monitor',
  summary: "Stream the agent's log lines (like serf monitor)",
  usage: `Usage: lbagent monitor [options]

Shows the running agent's log, like serf monitor: the recent lines it kept, then each new line, until
interrupted. The level is the monitor's own: debug lines show even when the agent logs at info.

Options:
  --log-level LEVEL  trace, debug, info (default), warn or err
${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { ...rpcFlagSpec, 'log-level': { type: 'string', default: 'info' } }, strict: true });
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    // No idle timeout: a quiet agent writes nothing for a long time. The agent ending the stream ends the command.
    try {
      await client.either(
        () => client.callStream<{ line: string }>('GET', `/v1/monitor?level=${encodeURIComponent(values['log-level'])}`, undefined, (l) => process.stdout.write(`${l.line}\n`), 0),
        async (c) => {
          const s = await c.open('monitor', { LogLevel: serfLogLevel(values['log-level']) }, (r) => void process.stdout.write(`${str(r, 'Log')}\n`));
          await s.ended.catch(() => {}); // the agent closed the connection
        },
      );
    } catch (err) {
      // Refused (bad level, auth) or no agent there: the error says which. Anything else cut a running monitor.
      if (isAnswer(err) || isLbaError(err, NoAgent)) throw err;
    }
    // The agent went away (left, stopped or crashed): serf's words and exit status.
    process.stdout.write('Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.\n');
    return 1;
  },
};
