import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import { durationMs } from '../../config/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';
import { BadArgument, RpcQuery } from '../../errors/index.js';
import { bytes, str } from '../../wire/msgpack/index.js';

type QueryLine =
  | { type: 'dispatched'; name: string }
  | { type: 'ack'; from: string }
  | { type: 'response'; from: string; payload: string }
  | { type: 'done'; acks: number; responses: number };

export const queryCommand: Command = {
  name: 'query',
  summary: 'Send a query to the cluster and print the acks and responses (like serf query)',
  usage: `Usage: lbagent query [options] NAME [PAYLOAD]

Dispatches a query across the cluster, like serf query. Members that take it acknowledge it and run their
'query' event handlers; a handler's output is that member's response. Acks and responses are printed as they
arrive, until the timeout.

Options:
  --node NAME       only this node takes the query (repeatable)
  --tag k=REGEXP    only members whose tag k matches the regexp take it (repeatable)
  --no-ack          do not ask for acks
  --timeout D       how long to wait (e.g. 5s; default: serf's, from the cluster size)
  --format text|json
${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        ...rpcFlagSpec,
        node: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        'no-ack': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        format: { type: 'string', default: 'text' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [name, payload, extra] = positionals;
    if (!name || extra !== undefined) {
      process.stderr.write('lbagent query: a query name and at most one payload must be given\n');
      return 1;
    }
    if (values.format !== 'text' && values.format !== 'json') throw new BadArgument(`invalid format '${values.format}' (expected text or json)`);
    const tags: Record<string, string> = {};
    for (const t of values.tag ?? []) {
      const eq = t.indexOf('=');
      if (eq <= 0) throw new BadArgument(`invalid tag filter '${t}' (expected key=regexp)`);
      tags[t.slice(0, eq)] = t.slice(eq + 1);
    }
    const timeoutMs = values.timeout === undefined ? undefined : durationMs(values.timeout);
    const text = values.format === 'text';
    const acks: string[] = [];
    const responses: Record<string, string> = {};
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    const onLine = (l: QueryLine) => {
      if (l.type === 'dispatched' && text) process.stdout.write(`Query '${l.name}' dispatched\n`);
      if (l.type === 'ack') {
        acks.push(l.from);
        if (text) process.stdout.write(`Ack from '${l.from}'\n`);
      }
      if (l.type === 'response') {
        responses[l.from] = l.payload;
        // A handler's output usually ends with a newline; serf prints one line per response.
        if (text) process.stdout.write(`Response from '${l.from}': ${l.payload.replace(/\r?\n$/, '')}\n`);
      }
    };
    // The agent ends the answer at the query's timeout; give the connection that long and some.
    await client.either(
      () => client.callStream<QueryLine>('POST', '/v1/query', { name, payload, nodes: values.node ?? [], tags, ack: !values['no-ack'], timeoutMs }, onLine, (timeoutMs ?? 60_000) + 15_000),
      async (c) => {
        const q = { FilterNodes: values.node ?? [], FilterTags: tags, RequestAck: !values['no-ack'], RelayFactor: 0, Timeout: (timeoutMs ?? 0) * 1e6, Name: name, Payload: Buffer.from(payload ?? '') };
        const s = await c.open('query', q, (r) => {
          const type = str(r, 'Type');
          if (type === 'ack') onLine({ type, from: str(r, 'From') });
          else if (type === 'response') onLine({ type, from: str(r, 'From'), payload: bytes(r, 'Payload').toString('utf8') });
          return type === 'done';
        });
        onLine({ type: 'dispatched', name });
        await s.ended;
      },
      RpcQuery,
    );
    if (text) process.stdout.write(`Total Acks: ${acks.length}\nTotal Responses: ${Object.keys(responses).length}\n`);
    else process.stdout.write(`${JSON.stringify({ acks, responses }, null, 2)}\n`);
    return 0;
  },
};
