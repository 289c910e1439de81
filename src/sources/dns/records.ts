// SRV records as members (pure): one member per target and port, with the tags roles.yml and the controller read.
import type { Member } from '../../interfaces/index.js';

export interface SrvAnswerRecord {
  /** the SRV target, without its trailing dot */
  target: string;
  port: number;
  priority: number;
  /** the SRV weight, 0..65535 */
  weight: number;
  /** the target's address */
  addr: string;
}

/** HAProxy's mapping of an SRV weight (0..65535) to a server weight (1..256): weight / 256 + 1, so 0 still serves. */
export function haproxyWeight(srvWeight: number): number {
  return Math.floor(Math.max(0, Math.min(65535, srvWeight)) / 256) + 1;
}

/** Stable across rounds and restarts (stats, logs and cookies keep it); desired.ts makes it a server name. */
export function memberName(role: string, target: string, port: number): string {
  return `${role}-${target}-${port}`;
}

/**
 * The members an answer gives: tags role, port (the SRV port), weight (HAProxy's mapping), priority, and
 * backup=true for records of a priority above the answer's lowest (RFC 2782: the lowest value is tried first).
 * A target and port listed twice counts once, at its lowest priority.
 */
export function toMembers(records: readonly SrvAnswerRecord[], role: string, srvName: string): Member[] {
  const sorted = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const lowest = sorted[0]?.priority;
  const out = new Map<string, Member>();
  for (const r of sorted) {
    const name = memberName(role, r.target, r.port);
    if (out.has(name)) continue;
    const tags: Record<string, string> = { role, port: String(r.port), weight: String(haproxyWeight(r.weight)), priority: String(r.priority), srv: srvName };
    if (r.priority !== lowest) tags.backup = 'true';
    out.set(name, { name, addr: r.addr, port: r.port, tags, status: 'alive' });
  }
  return [...out.values()];
}

/** Same address, port and tags: nothing to announce. */
export function sameMember(a: Member, b: Member): boolean {
  if (a.addr !== b.addr || a.port !== b.port || a.status !== b.status) return false;
  const ka = Object.keys(a.tags);
  return ka.length === Object.keys(b.tags).length && ka.every((k) => a.tags[k] === b.tags[k]);
}

/** What changed, in words, for the log line. */
export function describeChange(from: Member, to: Member): string {
  const what: string[] = [];
  if (from.addr !== to.addr) what.push(`address ${from.addr} → ${to.addr}`);
  if (from.tags.weight !== to.tags.weight) what.push(`weight ${from.tags.weight} → ${to.tags.weight}`);
  if (from.tags.backup !== to.tags.backup) what.push(to.tags.backup ? 'now backup' : 'now active');
  if (from.tags.priority !== to.tags.priority) what.push(`priority ${from.tags.priority} → ${to.tags.priority}`);
  return what.join(', ') || 'tags changed';
}
