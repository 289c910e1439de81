import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';
import { RpcForceLeave } from '../../errors/index.js';

export const forceLeaveCommand: Command = {
  name: 'force-leave',
  summary: 'Mark a failed member as left, like serf force-leave',
  usage: `Usage: lbagent force-leave [options] NODE\n\nA failed node becomes "left" on every member, so nobody tries to reconnect to it.\n\nOptions:\n  --prune   also erase it from the member list at once\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { ...rpcFlagSpec, prune: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) {
      process.stderr.write('lbagent force-leave: exactly one node name must be given\n');
      return 1;
    }
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    const node = positionals[0]!;
    const prune = values.prune === true;
    await client.either(() => client.call('POST', '/v1/force-leave', { node, prune }), (c) => c.call('force-leave', { Node: node, Prune: prune }, false), RpcForceLeave);
    return 0;
  },
};
