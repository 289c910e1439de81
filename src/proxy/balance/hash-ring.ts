// source and uri: a consistent-hash ring with points proportional to weight, built on update().
// Adding or removing one of N servers only moves the keys that land on its points (about 1/N of them).
import type { BalanceAlgorithm, BalanceTarget, PickContext } from './api.js';
import { hashString, pointHash } from './hash.js';
import { dynamicWeight } from './weights.js';
import { TriedSet } from './tried.js';

/** Ring points per unit of weight: 160 keeps a weight-1 server within a few percent of its share. */
export const POINTS_PER_WEIGHT = 160;
/** Upper bound on the ring size; large pools of heavy servers get proportionally fewer points each. */
export const MAX_POINTS = 1 << 20;
const OWNER_BITS = 2 ** 21; // server index packed below the 32-bit hash in one exact double

export class HashRing<T extends BalanceTarget> {
  private servers: readonly T[] = [];
  private ringHash = new Uint32Array(0);
  private ringOwner = new Uint32Array(0);
  private pickable = 0;
  private readonly tried = new TriedSet();

  get size(): number {
    return this.ringHash.length;
  }

  update(servers: readonly T[]): void {
    // a warming server (slow start) gets a share of its points: keys move to it a few at a time
    const weights = servers.map(dynamicWeight);
    let total = 0;
    for (const w of weights) total += w * POINTS_PER_WEIGHT;
    const scale = total > MAX_POINTS ? MAX_POINTS / total : 1;
    const counts = weights.map((w) => (w === 0 ? 0 : Math.max(1, Math.floor(w * POINTS_PER_WEIGHT * scale))));
    const packed = new Float64Array(counts.reduce((a, b) => a + b, 0));
    let n = 0;
    for (let i = 0; i < servers.length; i++) {
      // points depend on the server's name only, so they stay put when other servers come and go
      const nameHash = hashString(servers[i]!.name);
      for (let k = 0; k < counts[i]!; k++) packed[n++] = pointHash(nameHash, k) * OWNER_BITS + i;
    }
    packed.sort();
    this.ringHash = new Uint32Array(n);
    this.ringOwner = new Uint32Array(n);
    for (let j = 0; j < n; j++) {
      const v = packed[j]!;
      const owner = v % OWNER_BITS;
      this.ringOwner[j] = owner;
      this.ringHash[j] = (v - owner) / OWNER_BITS;
    }
    this.servers = servers;
    this.pickable = counts.filter((c) => c > 0).length;
    this.tried.resize(servers.length);
  }

  /** The server owning the first point at or after `key`, walking on past rejected servers. */
  lookup(key: number, accept?: (s: T) => boolean): T | undefined {
    const len = this.ringHash.length;
    if (len === 0) return undefined;
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ringHash[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    let pos = lo === len ? 0 : lo;
    if (!accept) return this.servers[this.ringOwner[pos]!];
    this.tried.begin();
    for (let step = 0; step < len; step++, pos = pos + 1 === len ? 0 : pos + 1) {
      const i = this.ringOwner[pos]!;
      if (this.tried.has(i)) continue;
      const s = this.servers[i]!;
      if (accept(s)) return s;
      this.tried.reject(i);
      if (this.tried.rejected === this.pickable) return undefined;
    }
    return undefined;
  }
}

/** Hash of a client address; an IPv4-mapped IPv6 address hashes like the IPv4 one. */
export function sourceKey(ip: string): number {
  const start = ip.startsWith('::ffff:') && ip.includes('.') ? 7 : 0;
  return hashString(ip, start);
}

export interface UriOptions {
  len?: number;
  depth?: number;
  whole?: boolean;
}

/**
 * Hash of the part of the URI HAProxy's `balance uri` looks at: the path before '?' (all of it with
 * `whole`), at most `len` characters, stopping before the slash that would go deeper than `depth` levels.
 */
export function uriKey(path: string, o: UriOptions): number {
  let end = path.length;
  if (!o.whole) {
    const q = path.indexOf('?');
    if (q >= 0) end = q;
  }
  if (o.len !== undefined && o.len > 0 && o.len < end) end = o.len;
  if (o.depth !== undefined && o.depth > 0) {
    let slashes = 0;
    for (let i = 0; i < end; i++) {
      if (path.charCodeAt(i) !== 0x2f) continue;
      if (slashes === o.depth) {
        end = i;
        break;
      }
      slashes++;
    }
  }
  return hashString(path, 0, end);
}

export class SourceAlgorithm<T extends BalanceTarget> implements BalanceAlgorithm<T> {
  /** consistent hashing: weights may change while servers are up (HAProxy's `hash-type consistent`) */
  readonly dynamic = true;
  private readonly ring = new HashRing<T>();
  update(servers: readonly T[]): void {
    this.ring.update(servers);
  }
  pick(ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    return this.ring.lookup(sourceKey(ctx.clientIp), accept);
  }
}

export class UriAlgorithm<T extends BalanceTarget> implements BalanceAlgorithm<T> {
  readonly dynamic = true;
  private readonly ring = new HashRing<T>();
  /** HAProxy falls back to round robin when there is no URI (tcp mode). */
  constructor(
    private readonly opts: UriOptions,
    private readonly fallback: BalanceAlgorithm<T>,
  ) {}
  update(servers: readonly T[]): void {
    this.ring.update(servers);
    this.fallback.update(servers);
  }
  pick(ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    if (ctx.path === undefined) return this.fallback.pick(ctx, accept);
    return this.ring.lookup(uriKey(ctx.path, this.opts), accept);
  }
}
