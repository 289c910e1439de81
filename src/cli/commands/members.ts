import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { AgentClient, serfMembers } from '../../agent/index.js';
import type { MemberJson } from '../../agent/index.js';
import { RPC_OPTIONS_HELP, rpcFlagSpec } from './rpc-flags.js';
import { BadArgument } from '../../errors/index.js';

/** serf's members table: columns separated by two spaces, tags as k=v,k=v. */
export function formatMembers(members: MemberJson[], verbose: boolean): string {
  const rows = members.map((m) => {
    const addr = m.addr.includes(':') ? `[${m.addr}]:${m.port}` : `${m.addr}:${m.port}`;
    const tags = Object.keys(m.tags).sort().map((k) => `${k}=${m.tags[k]}`).join(',');
    const row = [m.name, addr, m.status, tags];
    if (verbose && m.protocol) {
      const p = m.protocol;
      row.push(`Protocol Version: ${p.cur}`, `Available Protocol Range: [${p.min}, ${p.max}]`, `Delegate Protocol: ${p.delegateCur} [${p.delegateMin}, ${p.delegateMax}]`);
    }
    return row;
  });
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + (rows.length ? '\n' : '');
}

/** `--tag k=v` flags as serf's filter map. */
function tagFilters(flags: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of flags) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new BadArgument(`invalid tag filter '${t}' (expected key=regexp)`);
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return tags;
}

export const membersCommand: Command = {
  name: 'members',
  summary: 'List cluster members (like serf members)',
  usage: `Usage: lbagent members [options]\n\nOptions:\n  --status S        only members with this status (alive, leaving, left, failed)\n  --tag k=v         only members whose tag k matches the regexp v (repeatable)\n  --name REGEXP     only members whose name matches\n  --format text|json\n  --verbose         protocol versions, and dropped-packet counters of this agent\n${RPC_OPTIONS_HELP}`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { ...rpcFlagSpec, status: { type: 'string' }, tag: { type: 'string', multiple: true }, name: { type: 'string' }, format: { type: 'string', default: 'text' }, verbose: { type: 'boolean', default: false } },
      strict: true,
    });
    if (values.format !== 'text' && values.format !== 'json') throw new BadArgument(`invalid format '${values.format}' (expected text or json)`);
    const q = new URLSearchParams();
    if (values.status) q.set('status', values.status);
    if (values.name) q.set('name', values.name);
    for (const t of values.tag ?? []) q.append('tag', t);
    if (values.verbose) q.set('verbose', 'true');
    const client = new AgentClient(values['rpc-addr'], values['rpc-auth']);
    // A serf agent filters with its own rules (members-filtered, as `serf members -tag`).
    const members = await client.either(
      () => client.call<MemberJson[]>('GET', `/v1/members?${q}`),
      async (c) => serfMembers(await c.call('members-filtered', { Name: values.name ?? '', Status: values.status ?? '', Tags: tagFilters(values.tag ?? []) }, true), values.verbose),
    );
    if (values.format === 'json') {
      process.stdout.write(`${JSON.stringify(members, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(formatMembers(members, values.verbose ?? false));
    if (values.verbose && !client.speaksSerf) {
      const stats = await client.call<{ memberlist?: { packetsReceived: number; packetsDropped: number; streamsDropped: number; dropReasons: Record<string, number> }; serfDropped?: number; serfDropReasons?: Record<string, number> }>('GET', '/v1/stats');
      const ml = stats.memberlist;
      if (ml) {
        const list = (r: Record<string, number> | undefined) => Object.entries(r ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        const reasons = list(ml.dropReasons);
        const serfReasons = list(stats.serfDropReasons);
        process.stdout.write(`\npackets received: ${ml.packetsReceived}, dropped: ${ml.packetsDropped}${reasons ? ` (${reasons})` : ''}, streams dropped: ${ml.streamsDropped}, serf messages dropped: ${stats.serfDropped ?? 0}${serfReasons ? ` (${serfReasons})` : ''}\n`);
      }
    }
    return 0;
  },
};
