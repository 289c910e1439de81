// `lbagent servers` (alias `pools`): the live pools from the balancer's admin API, and why each server is
// in its state (the controller's reason, the health check's last result).
import { parseArgs } from 'node:util';
import type { BackendView, ServerView } from '../../interfaces/index.js';
import type { Command } from '../command.js';
import { answeredError, BadAddress, describeError, errorMessage, isLbaError, NoAgent } from '../../errors/index.js';

const DEFAULT_ADMIN = 'http://127.0.0.1:9901';

const NOT_THERE: Record<string, string> = {
  ECONNREFUSED: 'connection refused: no balancer is running there',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name does not resolve (DNS not answering)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
};

/** Where the admin address came from, so an error can say how to point the command elsewhere. */
interface AdminApi {
  base: string;
  from: string;
  token?: string;
}

async function getJson(api: AdminApi, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, api.base), { headers: api.token ? { authorization: `Bearer ${api.token}` } : {} });
  } catch (err) {
    // fetch says only "fetch failed": the reason is in its cause
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const reason = NOT_THERE[cause?.code ?? ''] ?? cause?.message ?? errorMessage(err);
    throw new NoAgent(`cannot read the pools from ${api.base}`, api.from, reason, "Point to the balancer's admin API (admin.bind in its lbagent.yml) with --admin URL or LBAGENT_ADMIN");
  }
  const text = await res.text();
  // The admin API's {error, code}: its message and code become this command's error.
  if (!res.ok) throw answeredError(res.status, parseOr(text, { error: `${path}: HTTP ${res.status} ${text.trim()}` }));
  return JSON.parse(text);
}

function parseOr(text: string, fallback: { error: string }): { error?: unknown; code?: unknown } {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && 'error' in v ? (v as { error?: unknown; code?: unknown }) : fallback;
  } catch {
    return fallback;
  }
}

export async function fetchPools(admin: string, token?: string, from = '--admin'): Promise<BackendView[]> {
  const api = { base: admin, from, token };
  const list = (await getJson(api, '/v1/backends')) as Array<{ name: string }>;
  const out: BackendView[] = [];
  for (const b of list) out.push((await getJson(api, `/v1/backends/${encodeURIComponent(b.name)}`)) as BackendView);
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
      const bad = new BadAddress(`${from}: invalid admin address '${admin}' (expected a URL or host:port, e.g. http://10.0.0.10:9901)`);
      process.stderr.write(`lbagent servers: ${describeError(bad)}\n`);
      return 1;
    }
    let pools: BackendView[];
    try {
      pools = await fetchPools(admin, values.token ?? process.env.LBAGENT_ADMIN_TOKEN, from);
    } catch (err) {
      // NoAgent already says which address it tried; the admin API's own errors (401, ...) get it said here.
      const where = isLbaError(err, NoAgent) ? '' : `cannot read the pools from ${admin} (${from}): `;
      process.stderr.write(`lbagent servers: ${where}${describeError(err)}\n`);
      return 1;
    }
    process.stdout.write(format === 'json' ? JSON.stringify(pools, null, 2) + '\n' : formatPools(pools));
    return 0;
  },
};
