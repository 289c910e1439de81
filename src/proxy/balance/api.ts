// Contract of the load-balancing algorithms (HAProxy's `balance`). Pure: no sockets, no timers.
// The proxy engine keeps one BalanceAlgorithm per backend and calls update() whenever the usable set changes.

export interface BalanceTarget {
  readonly name: string;
  /** weight 0..256 (0 = never picked by weighted algorithms) */
  readonly weight: number;
  /**
   * Current effective weight when it differs from `weight` (slow start ramps it up, fractions allowed). Only the
   * dynamic algorithms follow it (roundrobin, leastconn, random, and the consistent hashes source and uri), as in
   * HAProxy; static-rr ignores it.
   */
  readonly eweight?: number;
  /** current sessions on this server (leastconn, random(2)) */
  readonly active: number;
}

export interface PickContext {
  /** client IP as text (source) */
  clientIp: string;
  /** request path including query (uri); undefined in tcp mode */
  path?: string;
}

export interface BalanceAlgorithm<T extends BalanceTarget> {
  /** The usable servers of one tier (active, or backup when no active is usable). Order is stable. */
  update(servers: readonly T[]): void;
  /** Choose a server; `accept` rejects candidates (full maxconn, already tried on retry). */
  pick(ctx: PickContext, accept?: (s: T) => boolean): T | undefined;
  /**
   * Optional: tell the balancer that `s.active` just changed (session taken or released). leastconn then
   * keeps its servers in a heap and picks in O(log n); without these calls it scans the servers per pick.
   * Once called, it must be called on every change of `active` of a server in the current update() list.
   */
  loadChanged?(s: T): void;
  /** Follows `eweight` (HAProxy's dynamic algorithms, the only ones slow start acts on). */
  readonly dynamic: boolean;
}

export type BalanceSpec =
  | { algo: 'roundrobin' } // smooth weighted, dynamic weights
  | { algo: 'static-rr' }
  | { algo: 'leastconn' }
  | { algo: 'source' } // consistent hash of client IP
  | { algo: 'uri'; len?: number; depth?: number; whole?: boolean } // consistent hash of the path before '?'
  | { algo: 'random'; draws: number }; // random(2) = power of two choices

// Implementation entry point: createAlgorithm<T>(spec: BalanceSpec): BalanceAlgorithm<T>   -- ./index.ts
// Parsing of HAProxy's words ("roundrobin", "uri len 10 depth 2", "random(2)"): parseBalance(text) -- ./parse.ts
