// 32-bit hashing for the consistent-hash algorithms: allocation-free over a string's code units.

/** FNV-1a over UTF-16 code units of s[start, end), finished with murmur3's fmix32 for avalanche. */
export function hashString(s: string, start = 0, end = s.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3 finalizer: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The i-th ring point of a server, derived from its name's hash without building strings. */
export function pointHash(nameHash: number, i: number): number {
  return fmix32((nameHash ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0);
}
