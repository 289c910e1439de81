// One resolution round of an SRV name: the SRV records, then each target's addresses (A/AAAA, the preferred family
// first). The answer, "the name does not exist / has no records" (a name server answered), or a failure (no name
// server answered usefully): the source keeps its last good servers on a failure.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DnsSourceSettings } from './section.js';
import type { SrvAnswerRecord } from './records.js';

export type Round =
  | { kind: 'answer'; records: SrvAnswerRecord[]; /** shortest A/AAAA TTL (ms), when the answer had one */ ttlMs?: number; /** targets with no address */ unresolved: string[] }
  | { kind: 'nx'; code: string; detail: string }
  | { kind: 'failure'; code: string; message: string };

/** c-ares codes meaning a name server answered: the name does not exist (NXDOMAIN) or has no such records. */
const NX_CODES = new Set(['ENOTFOUND', 'ENODATA']);

class RoundFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'EUNKNOWN';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createResolver(s: Pick<DnsSourceSettings, 'resolvers' | 'timeoutMs' | 'retries'>): Resolver {
  const r = new Resolver({ timeout: s.timeoutMs, tries: s.retries });
  if (s.resolvers) r.setServers(s.resolvers);
  return r;
}

/** Addresses of one family, [] when the name has none (NXDOMAIN, NODATA); throws RoundFailure otherwise. */
async function family(r: Resolver, name: string, v: 4 | 6): Promise<Array<{ address: string; ttl: number }>> {
  try {
    return v === 4 ? await r.resolve4(name, { ttl: true }) : await r.resolve6(name, { ttl: true });
  } catch (err) {
    const code = codeOf(err);
    if (NX_CODES.has(code)) return [];
    throw new RoundFailure(code, `${v === 4 ? 'A' : 'AAAA'} ${name}: ${messageOf(err)}`);
  }
}

/** A target's address (first of the preferred family, else of the other) and its TTL in ms; undefined: none. */
async function targetAddress(r: Resolver, target: string, prefer: 'ipv4' | 'ipv6'): Promise<{ addr: string; ttlMs?: number } | undefined> {
  if (isIP(target)) return { addr: target };
  const order: Array<4 | 6> = prefer === 'ipv4' ? [4, 6] : [6, 4];
  for (const v of order) {
    const addrs = await family(r, target, v);
    // a stable pick: the lowest address, so round-robin A answers do not move the server at every round
    const first = [...addrs].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))[0];
    if (first) return { addr: first.address, ttlMs: Math.min(...addrs.map((a) => a.ttl)) * 1000 };
  }
  return undefined;
}

export async function resolveRound(r: Resolver, s: Pick<DnsSourceSettings, 'name' | 'prefer'>): Promise<Round> {
  let srv;
  try {
    srv = await r.resolveSrv(s.name);
  } catch (err) {
    const code = codeOf(err);
    return NX_CODES.has(code) ? { kind: 'nx', code, detail: code === 'ENOTFOUND' ? 'NXDOMAIN' : 'no SRV records' } : { kind: 'failure', code, message: `SRV ${s.name}: ${messageOf(err)}` };
  }
  if (srv.length === 0) return { kind: 'nx', code: 'ENODATA', detail: 'no SRV records' };
  const targets = [...new Set(srv.map((x) => x.name.replace(/\.$/, '')))];
  const addrs = new Map<string, { addr: string; ttlMs?: number }>();
  try {
    await Promise.all(
      targets.map(async (t) => {
        const a = await targetAddress(r, t, s.prefer);
        if (a) addrs.set(t, a);
      }),
    );
  } catch (err) {
    if (err instanceof RoundFailure) return { kind: 'failure', code: err.code, message: err.message };
    return { kind: 'failure', code: codeOf(err), message: messageOf(err) };
  }
  const records: SrvAnswerRecord[] = [];
  for (const x of srv) {
    const target = x.name.replace(/\.$/, '');
    const a = addrs.get(target);
    if (a) records.push({ target, port: x.port, priority: x.priority, weight: x.weight, addr: a.addr });
  }
  const unresolved = targets.filter((t) => !addrs.has(t));
  // SRV records whose targets all lack an address give no server: the same as an empty answer
  if (records.length === 0) return { kind: 'nx', code: 'ENODATA', detail: `no address for ${unresolved.join(', ')}` };
  const ttls = [...addrs.values()].flatMap((a) => (a.ttlMs === undefined ? [] : [a.ttlMs]));
  return { kind: 'answer', records, ttlMs: ttls.length ? Math.min(...ttls) : undefined, unresolved };
}
