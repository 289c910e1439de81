// `lbagent servers` (alias `pools`): the live pools from the balancer's admin API, and why each server is
// in its state (the controller's reason, the health check's last result).
import { parseArgs } from 'node:util';
import type { BackendView, ServerView } from '../../interfaces/pool-driver.js';
import type { Command } from '../command.js';
import { LBA_ERR_BAD_ADDRESS, LBA_ERR_NO_AGENT } from '../../config/codes.js';

const DEFAULT_ADMIN = 'http://127.0.0.1:9901';

const NOT_THERE: Record<string, string> = {
  ECONNREFUSED: 'connection refused: no balancer is running there',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name does not resolve (DNS not answering)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
};

async function getJson(base: string, path: string, token?: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    // fetch says only "fetch failed": the reason is in its cause
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const reason = NOT_THERE[cause?.code ?? ''] ?? cause?.message ?? (err as Error).message;
    throw Object.assign(new Error(`${reason}`), { code: LBA_ERR_NO_AGENT });
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text.trim()}`);
  return JSON.parse(text);
}

export async function fetchPools(admin: string, token?: string): Promise<BackendView[]> {
  const list = (await getJson(admin, '/v1/backends', token)) as Array<{ name: string }>;
  const out: BackendView[] = [];
  for (const b of list) out.push((await getJson(admin, `/v1/backends/${encodeURIComponent(b.name)}`, token)) as BackendView);
  return out;
}

function why(s: ServerView): string {
  const parts: string[] = [];
  if (s.removing) parts.push('removed, finishing its sessions');
  if (s.reason) parts.push(s.reason);
  if (s.check?.lastResult) parts.push(`check: ${s.check.lastResult}`);
  return parts.join('; ') || (s.monitorOnly ? 'monitor only' : 'static server');
}

/** Text table per backend, in HAProxy's words (UP/DOWN/MAINT/DRAIN, ready/drain/maint). */
export function formatPools(backends: BackendView[]): string {
  const lines: string[] = [];
  for (const b of backends) {
    lines.push(`${b.name} (${b.servers.length} server${b.servers.length === 1 ? '' : 's'})`);
    if (!b.servers.length) {
      lines.push('  (no servers)');
      continue;
    }
    const rows = [['NAME', 'ADDRESS', 'STATUS', 'ADMIN', 'WEIGHT', 'SESS', 'WHY']];
    for (const s of b.servers) {
      const addr = s.addr.includes(':') ? `[${s.addr}]:${s.port}` : `${s.addr}:${s.port}`;
      const flags = `${s.weight}${s.backup ? ' backup' : ''}${s.monitorOnly ? ' monitor' : ''}`;
      rows.push([s.name, addr, s.status, s.admin, flags, `${s.sessions?.current ?? 0}/${s.sessions?.total ?? 0}`, why(s)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push('  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

export const servers: Command = {
  name: 'servers',
  aliases: ['pools'],
  summary: 'Show the live pools and why each server is in its state',
  usage: [
    'Usage: lbagent servers [--admin URL] [--format text|json]',
    '',
    `  --admin URL       the balancer's admin API (default $LBAGENT_ADMIN or ${DEFAULT_ADMIN})`,
    '  --token TOKEN     bearer token of the admin API (default $LBAGENT_ADMIN_TOKEN)',
    '  --format FORMAT   text (default) or json',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { admin: { type: 'string' }, token: { type: 'string' }, format: { type: 'string' } },
      allowPositionals: true,
    });
    const format = values.format ?? 'text';
    if (positionals.length || (format !== 'text' && format !== 'json')) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const from = values.admin !== undefined ? '--admin' : process.env.LBAGENT_ADMIN ? '$LBAGENT_ADMIN' : 'the default';
    let admin = values.admin ?? process.env.LBAGENT_ADMIN ?? DEFAULT_ADMIN;
    if (!/^https?:\/\//.test(admin)) admin = `http://${admin}`;
    try {
      new URL(admin);
    } catch {
      process.stderr.write(`lbagent servers: ${from}: invalid admin address '${admin}' (expected a URL or host:port, e.g. http://10.0.0.10:9901) [${LBA_ERR_BAD_ADDRESS}]\n`);
      return 1;
    }
    let pools: BackendView[];
    try {
      pools = await fetchPools(admin, values.token ?? process.env.LBAGENT_ADMIN_TOKEN);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const hint = code === LBA_ERR_NO_AGENT ? `. Point to the balancer's admin API (admin.bind in its lbagent.yml) with --admin URL or LBAGENT_ADMIN [${LBA_ERR_NO_AGENT}]` : '';
      process.stderr.write(`lbagent servers: cannot read the pools from ${admin} (${from}): ${(err as Error).message}${hint}\n`);
      return 1;
    }
    process.stdout.write(format === 'json' ? JSON.stringify(pools, null, 2) + '\n' : formatPools(pools));
    return 0;
  },
};
