// `lbagent keys`: serf's `serf keys`: install, use, remove or list gossip encryption keys on every member of the
// cluster (lbagent and serf nodes alike), through the local agent.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient } from '../../agent/index.js';
import type { KeyOpResult } from '../../gossip/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';

const VERBS = { install: ['Installing', 'installing'], use: ['Changing primary key', 'changing primary key'], remove: ['Removing', 'removing'] } as const;

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Install, use, remove or list gossip encryption keys on every member',
  usage: `Usage: lbagent keys [options]\n\nManages the gossip encryption keyring of the whole cluster, as \`serf keys\`: rotate a key by installing the new one,\nusing it, then removing the old one.\n\nOptions:\n  --install KEY   install a key (base64, as \`lbagent keygen\` prints)\n  --use KEY       make an installed key the primary (used to encrypt)\n  --remove KEY    remove a key (not the primary)\n  --list          list the keys and how many members have each\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { ...rpcFlagSpec, install: { type: 'string' }, use: { type: 'string' }, remove: { type: 'string' }, list: { type: 'boolean' } },
      strict: true,
    });
    const ops = (['install', 'use', 'remove'] as const).filter((op) => values[op] !== undefined);
    if (ops.length + (values.list ? 1 : 0) !== 1) {
      process.stderr.write('lbagent keys: exactly one of --install, --use, --remove or --list must be given\n');
      return 1;
    }
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    if (values.list) {
      process.stdout.write('Gathering installed encryption keys...\n');
      const r = await client.call<KeyOpResult>('GET', '/v1/keys');
      if (!report(r, 'Error listing keys')) return 1;
      process.stdout.write('\nKeys gathered, listing cluster keyring...\n\n');
      for (const [key, count] of Object.entries(r.keys)) process.stdout.write(`${key}  [${count}/${r.numNodes}]${r.primaryKeys[key] ? `  primary on ${r.primaryKeys[key]}` : ''}\n`);
      return 0;
    }
    const op = ops[0]!;
    process.stdout.write(`${VERBS[op][0]} key on all members...\n`);
    const r = await client.call<KeyOpResult>('POST', `/v1/keys/${op}`, { key: values[op] });
    if (!report(r, `Error ${VERBS[op][1]} key`)) return 1;
    process.stdout.write('Success!\n');
    return 0;
  },
};

/** serf's wording when some members failed or did not answer; true when every member succeeded. */
function report(r: KeyOpResult, what: string): boolean {
  const ok = r.numResp - r.numErr;
  if (r.numErr === 0 && r.numResp >= r.numNodes) return true;
  process.stderr.write(`${what}: ${ok}/${r.numNodes} nodes reported success\n`);
  for (const [node, msg] of Object.entries(r.messages)) process.stderr.write(`  ${node}: ${msg}\n`);
  return false;
}
