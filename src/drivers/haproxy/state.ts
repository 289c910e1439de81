// Parsers for HAProxy's `show servers state` and `show stat` (CSV), and HAProxy's static config (server names).
import { readFileSync } from 'node:fs';

export interface ServerState {
  backend: string;
  name: string;
  addr: string;
  port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping */
  opState: number;
  /** admin flags: 0x01 forced maint, 0x02 inherited maint, 0x04 config maint, 0x08 forced drain, 0x10 inherited drain, 0x20 resolution maint */
  adminState: number;
  weight: number;
}

export function parseServersState(text: string): ServerState[] {
  const out: ServerState[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || /^\d+$/.test(line.trim())) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 19) continue;
    out.push({ backend: f[1]!, name: f[3]!, addr: f[4]!, opState: Number(f[5]), adminState: Number(f[6]), weight: Number(f[7]), port: Number(f[18]) });
  }
  return out;
}

export function adminOf(s: ServerState): 'ready' | 'drain' | 'maint' {
  if (s.adminState & 0x27) return 'maint';
  if (s.adminState & 0x18) return 'drain';
  return 'ready';
}

export type StatRow = Record<string, string>;

export function parseStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter(Boolean);
  const header = (lines.shift() ?? '').replace(/^#\s*/, '').split(',');
  return lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(header.map((h, i) => [h, v[i] ?? '']));
  });
}

/** Server names declared in haproxy.cfg, per backend (and listen): the static servers lbagent leaves alone. */
export function staticServers(cfgText: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let current: string | undefined;
  for (const raw of cfgText.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const section = /^(backend|listen|frontend|defaults|global|peers|resolvers|userlist|program|cache|ring|http-errors|mailers)\s*(\S*)/.exec(line);
    if (section && !raw.startsWith(' ') && !raw.startsWith('\t')) {
      current = section[1] === 'backend' || section[1] === 'listen' ? section[2] : undefined;
      if (current && !out.has(current)) out.set(current, new Set());
      continue;
    }
    const server = /^server\s+(\S+)/.exec(line);
    if (server && current) out.get(current)!.add(server[1]!);
  }
  return out;
}

export function readStaticServers(file: string): Map<string, Set<string>> {
  return staticServers(readFileSync(file, 'utf8'));
}

/** HAProxy's server names: letters, digits, '-', '_', '.', ':' (anything else becomes '_'). */
export function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.:-]/g, '_');
  return s.length ? s : '_';
}
