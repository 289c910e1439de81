// `lbagent join ADDR...`: ask the running agent to join (serf join), or start the agent in the foreground and join.
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import { RpcJoin } from '../../errors/index.js';
import { uint } from '../../wire/msgpack/index.js';
import { AGENT_OPTIONS_HELP, parseAgentArgs, runAgentForeground } from './agent.js';

export const joinCommand: Command = {
  name: 'join',
  summary: 'Join a cluster: start the agent, or ask the running agent to join',
  usage: `Usage: lbagent join [options] ADDR...\n\nIf an agent already answers on --rpc-addr, asks it to join ADDR and exits (like serf join);\notherwise starts the agent in the foreground and joins through any of the addresses (serf agent -join): if none\nanswers, it says why and exits (use --retry-join in a service that may start before the balancer).\n\n${AGENT_OPTIONS_HELP}`,
  async run(argv) {
    const { flags, positionals } = parseAgentArgs(argv);
    if (positionals.length === 0) {
      process.stderr.write('lbagent join: at least one address to join must be specified\n');
      return 1;
    }
    const client = new AgentClient(flags['rpc-addr'], flags['rpc-auth']);
    if (await client.alive()) {
      const replay = flags.replay === true;
      const r = await client.either(
        () => client.call<{ num: number }>('POST', '/v1/join', { addrs: positionals, replay }),
        async (c) => ({ num: uint((await c.call('join', { Existing: positionals, Replay: replay }, true)) ?? {}, 'Num') }),
        RpcJoin,
      );
      process.stdout.write(`Successfully joined cluster by contacting ${r.num} nodes.\n`);
      return 0;
    }
    return runAgentForeground(flags, positionals);
  },
};
