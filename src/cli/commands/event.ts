import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient, serfMaintenancePayload } from '../../agent/index.js';
import { RpcEvent } from '../../errors/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';

export const eventCommand: Command = {
  name: 'event',
  summary: 'Send a user event; pause/resume without payload send "NODE IP ROLE" for this node',
  usage: `Usage: lbagent event [options] NAME [PAYLOAD]\n\nDispatches a custom user event across the cluster, like serf event.\n'pause' and 'resume' without a payload send serf's maintenance convention for this node:\nthe payload "NODE IP ROLE" (this agent's name, advertised IP and role tag).\n\nOptions:\n  --coalesce=false  do not coalesce this event with others of the same name\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { ...rpcFlagSpec, coalesce: { type: 'string', default: 'true' } }, allowPositionals: true, strict: true });
    const [name, payload, extra] = positionals;
    if (!name || extra !== undefined) {
      process.stderr.write('lbagent event: an event name and at most one payload must be given\n');
      return 1;
    }
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    const coalesce = values.coalesce !== 'false';
    const r = await client.either(
      () => client.call<{ name: string; payload: string }>('POST', '/v1/event', { name, payload, coalesce }),
      async (c) => {
        // serf's maintenance convention for the agent at the other end, as the HTTP RPC fills it in.
        const p = payload ?? (name === 'pause' || name === 'resume' ? await serfMaintenancePayload(c) : '');
        await c.call('event', { Name: name, Payload: Buffer.from(p), Coalesce: coalesce }, false);
        return { name, payload: p };
      },
      RpcEvent,
    );
    process.stdout.write(`Event '${r.name}' dispatched!${r.payload ? ` Payload: "${r.payload}"` : ''} Coalescing enabled: ${values.coalesce !== 'false'}\n`);
    return 0;
  },
};
