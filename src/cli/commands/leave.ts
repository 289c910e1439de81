import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';

export const leaveCommand: Command = {
  name: 'leave',
  summary: 'Make the local agent leave the cluster gracefully and exit',
  usage: `Usage: lbagent leave [options]\n\nAsks the running agent to leave gracefully and shut down.\n\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: rpcFlagSpec, strict: true });
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    await client.either(() => client.call('POST', '/v1/leave', {}), (c) => c.call('leave', undefined, false, 60_000));
    process.stdout.write('Graceful leave complete\n');
    return 0;
  },
};
