import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';
import { BadArgument, RpcTags } from '../../errors/index.js';

export const tagsCommand: Command = {
  name: 'tags',
  summary: "Change this node's tags at run time",
  usage: `Usage: lbagent tags [options] --set k=v ... --delete k ...\n\nModifies this agent's tags; the change reaches the cluster as member-update.\n\nOptions:\n  --set k=v     set a tag (repeatable)\n  --delete k    delete a tag (repeatable)\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { ...rpcFlagSpec, set: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true } }, strict: true });
    const set: Record<string, string> = {};
    for (const kv of values.set ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new BadArgument(`invalid tag '${kv}' (expected key=value)`);
      set[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    if (!Object.keys(set).length && !(values.delete ?? []).length) {
      process.stderr.write('lbagent tags: at least one of --set or --delete must be given\n');
      return 1;
    }
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    const del = values.delete ?? [];
    await client.either(() => client.call('POST', '/v1/tags', { set, delete: del }), (c) => c.call('tags', { Tags: set, DeleteTags: del }, false), RpcTags);
    process.stdout.write('Successfully updated agent tags\n');
    return 0;
  },
};
